import {
  DOMAIN_DETAIL_CODES,
  DomainErrorCode,
  SHARED_DETAIL_CODES,
  TARGET_URL_REFUSALS,
} from '@lms/webhook-domain';
import { maxLength, type ValidationOptions } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/**
 * The stable, machine-readable code of one `details[]` item of a 400 VALIDATION_FAILED: which rule
 * the field broke, so a client can say it in its own language (the console does, with `params`). The
 * English `message` stays beside it for people reading the raw answer. A code never changes meaning;
 * a new rule gets a new code.
 */
export const VALIDATION_DETAIL_CODES = [
  'NOT_A_STRING',
  'NOT_AN_INTEGER',
  'NOT_A_BOOLEAN',
  'NOT_AN_ARRAY',
  'NOT_AN_OBJECT',
  'NOT_A_UUID',
  'NOT_AN_INSTANT',
  'FIELD_TOO_SHORT',
  'FIELD_TOO_LONG',
  'LENGTH_OUT_OF_RANGE',
  'FIELD_BLANK',
  'CONTROL_CHARACTERS',
  'CONTROL_CHARACTERS_EXCEPT_WHITESPACE',
  'USERNAME_CHARACTERS',
  'NOT_ONE_OF',
  'TOO_SMALL',
  'TOO_LARGE',
  'ARRAY_EMPTY',
  'ARRAY_TOO_LONG',
  'ARRAY_NOT_UNIQUE',
  'ITEMS_NOT_STRINGS',
  'ITEM_TOO_LONG',
  'EMPTY_OBJECT',
  'ONLY_FOR_BASIC',
  'UNKNOWN_FIELD',
  'MALFORMED_UNICODE',
  'NESTED_TOO_DEEPLY',
  'FORBIDDEN_PROPERTY_NAME',
] as const;
export type ValidationDetailCode = (typeof VALIDATION_DETAIL_CODES)[number];

/** The domain raises some request-validation codes itself (one rule, one code): each is one of them. */
SHARED_DETAIL_CODES satisfies readonly ValidationDetailCode[];

/** The codes of rules the domain checks itself (target URL policy, invisible characters in a name…). */
export { DOMAIN_DETAIL_CODES, TARGET_URL_REFUSALS };

/**
 * A detail that names no finer rule (today the delivery log's range and cursor checks): its `message`
 * is the only text.
 */
export const INVALID_VALUE = 'INVALID_VALUE';

/**
 * Every code a detail can carry: a validation rule's, a domain rule's, INVALID_VALUE, or, on an error other than
 * VALIDATION_FAILED (a name clash, a refused target, an unknown event type), the error's own code.
 */
export const DETAIL_CODES: readonly string[] = [
  ...VALIDATION_DETAIL_CODES,
  ...DOMAIN_DETAIL_CODES,
  INVALID_VALUE,
  ...Object.values(DomainErrorCode).filter((code) => code !== DomainErrorCode.VALIDATION_FAILED),
];

/** A rule's parameters, named: `{max: 100}`, `{min: 1, max: 100}`, `{values: ['NONE', 'BASIC']}`. */
export type DetailParams = Record<string, number | string | string[]>;

export interface CodedRule {
  code: ValidationDetailCode;
  params?: DetailParams;
}

/** The code a decorator names itself, for rules whose constraint says too little (`matches`). */
export interface DetailCodeContext {
  code: ValidationDetailCode;
}

/** Gives a decorator its detail code: `Matches(/\S/, coded('FIELD_BLANK', { message: '…' }))`. */
export function coded(code: ValidationDetailCode, options: ValidationOptions = {}): ValidationOptions {
  return { ...options, context: { ...(options.context as object), code } satisfies DetailCodeContext };
}

type RuleOf = (constraints: readonly unknown[], value: unknown) => CodedRule;

const plain =
  (code: ValidationDetailCode): RuleOf =>
  () => ({ code });

/**
 * class-validator's constraint names (the keys of a ValidationError's `constraints`) and their codes.
 * `matches` is absent on purpose: a pattern's meaning is the decorator's, which names it with coded().
 */
const RULES: Record<string, RuleOf> = {
  isString: plain('NOT_A_STRING'),
  isInt: plain('NOT_AN_INTEGER'),
  isBoolean: plain('NOT_A_BOOLEAN'),
  isArray: plain('NOT_AN_ARRAY'),
  isObject: plain('NOT_AN_OBJECT'),
  nestedValidation: plain('NOT_AN_OBJECT'),
  unknownValue: plain('NOT_AN_OBJECT'),
  isNotEmptyObject: plain('EMPTY_OBJECT'),
  isLength: ([min, max], value): CodedRule => {
    if (typeof value !== 'string')
      return { code: 'LENGTH_OUT_OF_RANGE', params: { min: Number(min), max: Number(max) } };
    // Counted as class-validator counts (a surrogate pair is one character).
    return maxLength(value, Number(max))
      ? { code: 'FIELD_TOO_SHORT', params: { min: Number(min) } }
      : { code: 'FIELD_TOO_LONG', params: { max: Number(max) } };
  },
  maxLength: ([max]) => ({ code: 'FIELD_TOO_LONG', params: { max: Number(max) } }),
  minLength: ([min]) => ({ code: 'FIELD_TOO_SHORT', params: { min: Number(min) } }),
  min: ([min]) => ({ code: 'TOO_SMALL', params: { min: Number(min) } }),
  max: ([max]) => ({ code: 'TOO_LARGE', params: { max: Number(max) } }),
  isIn: ([values]) => ({ code: 'NOT_ONE_OF', params: { values: (values as unknown[]).map(String) } }),
  arrayNotEmpty: plain('ARRAY_EMPTY'),
  arrayMaxSize: ([max]) => ({ code: 'ARRAY_TOO_LONG', params: { max: Number(max) } }),
  arrayUnique: plain('ARRAY_NOT_UNIQUE'),
  onlyForBasic: plain('ONLY_FOR_BASIC'),
  whitelistValidation: plain('UNKNOWN_FIELD'),
};

/** The same rules applied to each item of an array (`{each: true}`). */
const EACH_RULES: Record<string, RuleOf> = {
  isString: plain('ITEMS_NOT_STRINGS'),
  maxLength: ([max]) => ({ code: 'ITEM_TOO_LONG', params: { max: Number(max) } }),
};

/** The constraint name class-validator reports a metadata's failure under. */
export function constraintNameOf(metadata: ValidationMetadata): string {
  return metadata.name ?? metadata.type;
}

/**
 * The code (and params) of one failed constraint: the decorator's own code when it names one, else
 * the constraint's. Undefined for a constraint without a code, which the admin API's unit spec forbids
 * for every constraint its DTOs use.
 */
export function ruleOf(
  constraint: string,
  metadata: Pick<ValidationMetadata, 'constraints' | 'each' | 'context'> | undefined,
  value: unknown,
): CodedRule | undefined {
  const named = (metadata?.context as Partial<DetailCodeContext> | undefined)?.code;
  if (named) return { code: named };
  const rule = (metadata?.each ? EACH_RULES[constraint] : undefined) ?? RULES[constraint];
  return rule?.(metadata?.constraints ?? [], value);
}
