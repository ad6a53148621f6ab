import { ValueTransformer } from 'typeorm';

/**
 * pg returns bigint as a string (it may not fit a JS number). Account ids and epoch milliseconds do fit
 * (< 2^53), so these columns are read back as numbers.
 */
export const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};
