import { ApiError } from '../api/api-error';
import type { MessageKey } from '../i18n/catalogue';

/** Why the API refused a token on sign-in (pasted or from a link), in the person's language. */
export function describeSignInError(
  error: unknown,
  t: (key: MessageKey, values?: Record<string, string>) => string,
): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return t('tokenExpired');
    if (error.status === 403) return t('tokenForbidden');
    return t('errorGeneric', { message: error.message });
  }
  return t('errorNetwork');
}
