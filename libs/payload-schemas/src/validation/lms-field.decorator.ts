import { IsOptional, ValidateBy, ValidateIf } from 'class-validator';
import { LO_TYPES } from '../lo-type';
import { IsLmsTime } from './is-lms-time.decorator';
import { ISO_8601_PATTERN, MAX_EPOCH_MS } from './lms-time';

export type LmsFieldKind =
  'userId' | 'loId' | 'loInstanceId' | 'loType' | 'label' | 'time' | 'boolean' | 'count' | 'percent';

export interface LmsFieldOptions {
  /** The field may be absent (or null). */
  optional?: boolean;
  /** The field must be present but may be null (e.g. `seatLimit: null` = unlimited). */
  nullable?: boolean;
}

export interface LmsFieldDescription {
  property: string;
  kind: LmsFieldKind;
  optional: boolean;
  nullable: boolean;
}

interface KindRule {
  /** Absent for `time`, which has its own reusable decorator. */
  check?: (value: unknown) => boolean;
  expectation: string;
  schema: Record<string, unknown>;
}

// Ids are loosely checked (`<type>:<rest>`, instance ids `<type>:<lo>_<instance>`): enough to catch a
// bare number or a swapped field, without bouncing ids the LMS might format slightly differently.
const LO_ID = /^[A-Za-z]+:\S+$/;
const LO_INSTANCE_ID = /^[A-Za-z]+:\S+_\S+$/;
const MAX_ID_LENGTH = 256;
const LO_TYPE_SET: ReadonlySet<unknown> = new Set(LO_TYPES);

const isIdString = (value: unknown, pattern: RegExp): boolean =>
  typeof value === 'string' && value.length <= MAX_ID_LENGTH && pattern.test(value);

const KIND_RULES: Readonly<Record<LmsFieldKind, KindRule>> = {
  userId: {
    check: (value) => Number.isSafeInteger(value) && (value as number) > 0,
    expectation: 'a positive integer',
    schema: { type: 'integer', minimum: 1 },
  },
  loId: {
    check: (value) => isIdString(value, LO_ID),
    expectation: 'a learning-object id like "course:7374992"',
    schema: { type: 'string', maxLength: MAX_ID_LENGTH, pattern: LO_ID.source },
  },
  loInstanceId: {
    check: (value) => isIdString(value, LO_INSTANCE_ID),
    expectation: 'a learning-object instance id like "course:7376092_10250977"',
    schema: { type: 'string', maxLength: MAX_ID_LENGTH, pattern: LO_INSTANCE_ID.source },
  },
  loType: {
    check: (value) => LO_TYPE_SET.has(value),
    expectation: `one of ${LO_TYPES.join(', ')}`,
    schema: { type: 'string', enum: [...LO_TYPES] },
  },
  label: {
    check: (value) => typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH,
    expectation: 'a non-empty string',
    schema: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH },
  },
  time: {
    expectation: 'epoch seconds, epoch milliseconds or an ISO-8601 string',
    schema: {
      anyOf: [
        { type: 'number', minimum: 0, maximum: MAX_EPOCH_MS },
        { type: 'string', pattern: ISO_8601_PATTERN.source },
      ],
    },
  },
  boolean: {
    check: (value) => typeof value === 'boolean',
    expectation: 'a boolean',
    schema: { type: 'boolean' },
  },
  count: {
    check: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
    expectation: 'a non-negative integer',
    schema: { type: 'integer', minimum: 0 },
  },
  percent: {
    check: (value) => typeof value === 'number' && value >= 0 && value <= 100,
    expectation: 'a number from 0 to 100',
    schema: { type: 'number', minimum: 0, maximum: 100 },
  },
};

// Filled by the decorator so the JSON Schema is generated from the DTO itself: the two cannot drift.
const FIELDS_BY_DTO = new Map<object, LmsFieldDescription[]>();

/**
 * Declares one documented `data` field: adds exactly one class-validator constraint (so each bad field
 * yields one readable message) and records the field for JSON Schema generation.
 */
export function LmsField(kind: LmsFieldKind, options: LmsFieldOptions = {}): PropertyDecorator {
  const rule = KIND_RULES[kind];
  const nullable = options.nullable === true;
  const message = (value: unknown): string =>
    value === undefined ? 'is required' : `must be ${rule.expectation}${nullable ? ' or null' : ''}`;
  const constraint =
    rule.check === undefined
      ? IsLmsTime({ message: (args) => message(args.value) })
      : ValidateBy({
          name: `lms:${kind}`,
          validator: { validate: rule.check, defaultMessage: (args) => message(args?.value) },
        });

  return (target: object, propertyKey: string | symbol) => {
    const property = String(propertyKey);
    if (options.optional === true) IsOptional()(target, propertyKey);
    if (nullable) ValidateIf((dto: Record<string, unknown>) => dto[property] !== null)(target, propertyKey);
    constraint(target, propertyKey);

    const dto = target.constructor;
    const fields = FIELDS_BY_DTO.get(dto) ?? [];
    fields.push({ property, kind, optional: options.optional === true, nullable });
    FIELDS_BY_DTO.set(dto, fields);
  };
}

/** Fields declared with @LmsField on the DTO and its ancestors, in declaration order. */
export function describeLmsFields(dto: object): LmsFieldDescription[] {
  const chain: object[] = [];
  for (let current: unknown = dto; typeof current === 'function' && current !== Function.prototype;) {
    chain.unshift(current);
    current = Object.getPrototypeOf(current);
  }
  return chain.flatMap((cls) => FIELDS_BY_DTO.get(cls) ?? []);
}

/** The JSON Schema fragment for one field kind (shared so the schema builder never restates a rule). */
export function lmsFieldSchema(field: LmsFieldDescription): Record<string, unknown> {
  const schema = KIND_RULES[field.kind].schema;
  return field.nullable ? { anyOf: [schema, { type: 'null' }] } : schema;
}
