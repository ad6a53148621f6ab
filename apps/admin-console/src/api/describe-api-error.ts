import { en, type MessageKey } from '../i18n/catalogue';
import type { I18n } from '../i18n/i18n-context';
import type { ApiErrorDetailCode } from './admin-api.schema';
import { ApiError, toFieldErrors, type ApiErrorDetail, type ErrorText, type FieldErrors } from './api-error';

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
  if (!(error instanceof ApiError)) return { fields: {}, general: [{ text: describeApiError(error, t) }] };
  const spread = toFieldErrors(error, (detail) => describeDetail(detail, t));
  const general = error.details.length === 0 ? [{ text: describeApiError(error, t) }] : spread.general;
  return { fields: spread.fields, general };
}

/**
 * One refused field in the admin's language: the catalogue's words for its rule (`detail<CODE>`, with
 * the rule's params; `{count}` is its max or min, for plural forms; a rule with a `reason` param, as
 * TARGET_URL_NOT_ALLOWED, is said by `detail<CODE>_<REASON>` first), or for the error it repeats
 * (`error<CODE>`, a name clash on `name`). A code the console does not know, and INVALID_VALUE (a
 * server rule without a finer code), keep the server's English, marked as such.
 */
export function describeDetail(detail: ApiErrorDetail, t: I18n['t']): ErrorText {
  const reason = detail.params?.reason;
  const byReason = typeof reason === 'string' ? [`detail${detail.code}_${reason}`] : [];
  for (const key of [...byReason, `detail${detail.code}`, `error${detail.code}`])
    if (detail.code && isMessageKey(key)) return { text: t(key, paramValues(detail.params)) };
  return { text: detail.message, verbatim: true };
}

function paramValues(params: Record<string, unknown> = {}): Record<string, string | number> {
  const values: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value === 'number' || typeof value === 'string') values[name] = value;
    else if (Array.isArray(value)) values[name] = value.map(String).join(', ');
  }
  const count = values.max ?? values.min;
  if (typeof count === 'number') values.count = count;
  return values;
}

/**
 * Every code the server documents has its words here, INVALID_VALUE aside (its message is the only
 * text): a new code in the generated types without a `detail<CODE>` or `error<CODE>` message fails the
 * console's type-check, naming it.
 */
type Unworded<Code extends string> = Code extends 'INVALID_VALUE'
  ? never
  : `detail${Code}` extends MessageKey
    ? never
    : `error${Code}` extends MessageKey
      ? never
      : Code;
export const EVERY_DETAIL_CODE_IS_WORDED: [Unworded<ApiErrorDetailCode>] extends [never]
  ? true
  : Unworded<ApiErrorDetailCode> = true;

/** Every catalogue has the English keys (a unit test checks it). */
function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}
