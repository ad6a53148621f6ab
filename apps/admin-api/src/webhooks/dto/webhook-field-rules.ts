import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsInt,
  IsNotEmptyObject,
  IsObject,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { NO_CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE } from '../../http/text-rules';
import { MAX_EVENTS_PER_REQUEST, MAX_IN_FLIGHT } from '@lms/webhook-domain/admin';
import { IsOptionalNotNull } from '../../http/is-optional-not-null.decorator';
import { coded } from '../../http/validation-detail-codes';
import { WebhookAuthenticationDto } from './webhook-authentication.dto';

/**
 * The validation rules of each webhook field, once: create and update apply the same rules and differ
 * only in which fields are required (and in their Swagger text).
 */
export const WebhookNameRules = () =>
  applyDecorators(
    IsString(),
    Length(1, 100),
    Matches(/\S/, coded('FIELD_BLANK', { message: 'must not be blank' })),
    Matches(
      NO_CONTROL_CHARACTERS,
      coded('CONTROL_CHARACTERS', { message: 'must not contain control characters' }),
    ),
  );

export const WebhookDescriptionRules = () =>
  applyDecorators(
    IsString(),
    MaxLength(500),
    Matches(
      NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE,
      coded('CONTROL_CHARACTERS_EXCEPT_WHITESPACE', {
        message: 'must not contain control characters other than tabs and newlines',
      }),
    ),
  );

export const TargetUrlRules = () => applyDecorators(IsString(), MaxLength(2048));

export const AuthenticationRules = () =>
  applyDecorators(
    IsObject(),
    IsNotEmptyObject(),
    ValidateNested(),
    Type(() => WebhookAuthenticationDto),
  );

export const EventNamesRules = () =>
  applyDecorators(
    IsArray(),
    ArrayNotEmpty(),
    ArrayMaxSize(100),
    ArrayUnique(),
    IsString({ each: true }),
    MaxLength(64, { each: true }),
  );

/** Optional and nullable (null removes the limit). */
export const RateLimitRules = () =>
  applyDecorators(
    ValidateIf((_dto, value) => value !== undefined && value !== null),
    IsInt(),
    Min(1),
    Max(10_000),
  );

/** Optional, not nullable: omitted means the default (create) or unchanged (update). */
export const MaxInFlightRules = () =>
  applyDecorators(IsOptionalNotNull(), IsInt(), Min(MAX_IN_FLIGHT.min), Max(MAX_IN_FLIGHT.max));

export const MaxEventsPerRequestRules = () =>
  applyDecorators(
    IsOptionalNotNull(),
    IsInt(),
    Min(MAX_EVENTS_PER_REQUEST.min),
    Max(MAX_EVENTS_PER_REQUEST.max),
  );

/** The Swagger text of the two lane settings, shared by create, update and the response. */
export const MAX_IN_FLIGHT_API = {
  type: 'integer',
  minimum: MAX_IN_FLIGHT.min,
  maximum: MAX_IN_FLIGHT.max,
  default: MAX_IN_FLIGHT.default,
  example: 1,
  description:
    'Requests of one lane outstanding at once. With 1 (the default) events arrive in order: a request ' +
    'is sent only after the previous one was acknowledged (2xx) or gave up, and a failing request ' +
    'blocks the lane while it is retried. With more than 1, requests overlap and order is NOT guaranteed.',
} as const;

export const MAX_EVENTS_PER_REQUEST_API = {
  type: 'integer',
  minimum: MAX_EVENTS_PER_REQUEST.min,
  maximum: MAX_EVENTS_PER_REQUEST.max,
  default: MAX_EVENTS_PER_REQUEST.default,
  example: 100,
  description:
    'The most real-time events one request carries (non-real-time requests carry up to BATCH_MAX_EVENTS). ' +
    'A request leaves at once with what is waiting: one event at low load, more under a backlog.',
} as const;

/** Update has no default: an omitted field keeps the stored value. */
export function withoutDefault<T extends { default?: unknown }>(api: T): Omit<T, 'default'> {
  const { default: _default, ...rest } = api;
  return rest;
}
