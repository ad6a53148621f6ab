import { ValidateIf } from 'class-validator';

/**
 * Optional means "may be left out", not "may be null": @IsOptional() would let `null` skip every
 * check and reach a NOT NULL column. Use this for fields that cannot be cleared.
 */
export const IsOptionalNotNull = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
