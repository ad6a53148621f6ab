import type { ValidationError } from 'class-validator';
import type { ApiErrorDetail } from './api-error';

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
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: stripProperty(message, error.property),
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** class-validator messages start with the property name; the detail names the field already. */
function stripProperty(message: string, property: string): string {
  if (message.startsWith(`property ${property} `)) return message.slice(`property ${property} `.length);
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
