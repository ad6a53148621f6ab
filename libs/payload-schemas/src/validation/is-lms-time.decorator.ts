import { ValidateBy, type ValidationOptions } from 'class-validator';
import { isLmsTime } from './lms-time';

export const IS_LMS_TIME = 'isLmsTime';

/** A time as the LMS writes it in `data`: epoch seconds, epoch milliseconds or an ISO-8601 string. */
export function IsLmsTime(validationOptions?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: IS_LMS_TIME,
      validator: {
        validate: (value: unknown) => isLmsTime(value),
        defaultMessage: (args) =>
          args?.value === undefined
            ? 'is required'
            : 'must be epoch seconds, epoch milliseconds or an ISO-8601 string',
      },
    },
    validationOptions,
  );
}
