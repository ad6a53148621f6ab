import { ApiError } from '../api/api-error';
import type { I18n } from '../i18n/i18n-context';

/** What to tell the admin about a failed call: the API's own message, or that the API is unreachable. */
export function errorText(error: unknown, t: I18n['t']): string {
  if (error instanceof ApiError) return t('errorGeneric', { message: error.message });
  return t('errorNetwork');
}
