import { DomainError } from '../errors/domain-error';

export const MAX_WEBHOOK_NAME_LENGTH = 100;
/**
 * Controls and format characters (Cf: zero-width spaces and joiners, bidi overrides, soft hyphens):
 * invisible, so two names that look the same, or a name that displays reversed, could be saved.
 */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}]/u;

/**
 * The name as stored: NFC, so one visible name has one spelling. Uniqueness is case-insensitive on
 * top of that (the unique index is on lower(name)), so "HR sync" and "hr SYNC" cannot both exist.
 */
export function normalizeWebhookName(raw: string): string {
  const name = raw.normalize('NFC');
  if (INVISIBLE_OR_CONTROL.test(name)) {
    throw DomainError.invalidField(
      'name',
      'must not contain control or invisible formatting characters (Unicode Cc, Cf)',
      { code: 'NAME_INVISIBLE_CHARACTERS' },
    );
  }
  if (name.trim() === '')
    throw DomainError.invalidField('name', 'must not be blank', { code: 'FIELD_BLANK' });
  // Counted in code points, as Postgres counts varchar(100); NFC can make a string longer.
  if ([...name].length > MAX_WEBHOOK_NAME_LENGTH)
    throw DomainError.invalidField('name', `must be at most ${MAX_WEBHOOK_NAME_LENGTH} characters`, {
      code: 'FIELD_TOO_LONG',
      params: { max: MAX_WEBHOOK_NAME_LENGTH },
    });
  return name;
}
