import { en, type MessageKey } from '../i18n/catalogue';
import type { I18n } from '../i18n/i18n-context';
import { ApiError, toFieldErrors, type FieldErrors } from './api-error';

/**
 * What to tell the admin about a failed call, in their language: the catalogue's sentence for the
 * API's error code, the server's own message for a code the console does not know yet, or that the
 * API is unreachable. Every page maps errors here, once.
 */
export function describeApiError(error: unknown, t: I18n['t']): string {
  if (!(error instanceof ApiError)) return t('errorNetwork');
  const key = `error${error.code}`;
  if (isMessageKey(key)) return t(key, { errorId: error.errorId ?? '—' });
  return t('errorGeneric', { message: error.message });
}

/** Why the API refused a token on sign-in (pasted or from a link). */
export function describeSignInError(error: unknown, t: I18n['t']): string {
  if (error instanceof ApiError && error.status === 401) return t('tokenExpired');
  if (error instanceof ApiError && error.status === 403) return t('tokenForbidden');
  return describeApiError(error, t);
}

/**
 * A form's errors: the API's details beside their fields, and the error's sentence on top when no
 * detail says more (a 409 name clash, a 422 target).
 */
export function formErrorsOf(error: unknown, t: I18n['t']): FieldErrors {
  if (!(error instanceof ApiError)) return { fields: {}, general: [describeApiError(error, t)] };
  const spread = toFieldErrors(error);
  const general = error.details.length === 0 ? [describeApiError(error, t)] : spread.general;
  return { fields: spread.fields, general };
}

/** Every catalogue has the English keys (a unit test checks it). */
function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}
