import { getMetadataStorage, type ValidationError } from 'class-validator';
import type { ApiErrorDetail } from './api-error';
import { constraintNameOf, INVALID_VALUE, ruleOf } from './validation-detail-codes';

/** A request that failed DTO validation, with one detail per offending field (nested paths spelled out). */
export class RequestValidationError extends Error {
  constructor(readonly details: ApiErrorDetail[]) {
    super(
      details.length === 0
        ? 'The request is invalid'
        : details.map((detail) => `${detail.field} ${detail.message}`).join('; '),
    );
    this.name = 'RequestValidationError';
  }

  /** Needs the errors' targets (`validationError.target`): a constraint's parameters are on its class. */
  static fromValidationErrors(errors: ValidationError[]): RequestValidationError {
    return new RequestValidationError(flatten(errors, ''));
  }
}

function flatten(errors: ValidationError[], parent: string): ApiErrorDetail[] {
  return errors.flatMap((error) => {
    const field = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : parent
        ? `${parent}.${error.property}`
        : error.property;
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      codedDetail(error, constraint, field, message),
    );
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * One failed constraint as a detail: its code and parameters come from the decorator that failed,
 * found on the validated object's class. Two decorators of one name (two `matches`) are told apart by
 * the message the error kept, the last failing one's; their contexts reach the error merged, so the
 * code is read from the decorator itself.
 */
function codedDetail(
  error: ValidationError,
  constraint: string,
  field: string,
  message: string,
): ApiErrorDetail {
  const target = error.target;
  const candidates =
    target && typeof target === 'object'
      ? getMetadataStorage()
          .getTargetValidationMetadatas(target.constructor, '', true, false)
          .filter(
            (candidate) =>
              candidate.propertyName === error.property && constraintNameOf(candidate) === constraint,
          )
      : [];
  const metadata = candidates.findLast((candidate) => candidate.message === message) ?? candidates.at(-1);
  const value =
    target && typeof target === 'object' ? (target as Record<string, unknown>)[error.property] : undefined;
  const rule = ruleOf(constraint, metadata, value);
  // A constraint without a code is a bug the unit spec catches; at run time it still answers.
  const code = rule?.code ?? INVALID_VALUE;
  const detail = { field, code, message: stripProperty(message, error.property) };
  return rule?.params ? { ...detail, params: rule.params } : detail;
}

/** class-validator messages start with the property name; the detail names the field already. */
function stripProperty(message: string, property: string): string {
  if (message.startsWith(`property ${property} `)) return message.slice(`property ${property} `.length);
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
