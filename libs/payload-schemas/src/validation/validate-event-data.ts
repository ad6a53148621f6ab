import {
  getMetadataStorage,
  validateSync,
  type ValidationError,
  type ValidatorOptions,
} from 'class-validator';
import { findEventType, type EventName } from '../catalogue/event-catalogue';
import type { FieldError } from '../field-error';
import { isJsonObject } from './is-json-object';

// Built once: validateSync runs ~20k times a second on the ingestion path.
// No whitelist: unknown `data` fields are allowed and must reach receivers untouched.
const VALIDATOR_OPTIONS: ValidatorOptions = {
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

const propertiesByDto = new Map<new () => object, readonly string[]>();

function declaredProperties(dto: new () => object): readonly string[] {
  let properties = propertiesByDto.get(dto);
  if (properties === undefined) {
    const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    properties = [...new Set(metadata.map((entry) => entry.propertyName))];
    propertiesByDto.set(dto, properties);
  }
  return properties;
}

function toFieldErrors(errors: ValidationError[], path: string, into: FieldError[]): FieldError[] {
  for (const error of errors) {
    const field = `${path}.${error.property}`;
    for (const message of Object.values(error.constraints ?? {})) into.push({ field, message });
    if (error.children !== undefined && error.children.length > 0) toFieldErrors(error.children, field, into);
  }
  return into;
}

/**
 * Problems with an event's `data` (empty = valid); fields are reported as `data.<property>`.
 * Never touches `data`: only the documented properties are copied onto a fresh DTO instance, which
 * is also what keeps keys such as `__proto__` or `constructor` in LMS input from reaching the DTO.
 */
export function validateEventData(name: EventName, data: unknown): FieldError[] {
  const definition = findEventType(name);
  if (definition === undefined) return [{ field: 'eventName', message: `unknown event "${String(name)}"` }];
  if (data === undefined) return [{ field: 'data', message: 'is required' }];
  if (!isJsonObject(data)) return [{ field: 'data', message: 'must be a JSON object' }];

  const instance = new definition.dataDto() as Record<string, unknown>;
  for (const property of declaredProperties(definition.dataDto)) instance[property] = data[property];
  const errors = validateSync(instance, VALIDATOR_OPTIONS);
  return errors.length === 0 ? [] : toFieldErrors(errors, 'data', []);
}
