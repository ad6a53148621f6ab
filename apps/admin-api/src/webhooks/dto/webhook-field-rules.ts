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
import { WebhookAuthenticationDto } from './webhook-authentication.dto';

/**
 * The validation rules of each webhook field, once: create and update apply the same rules and differ
 * only in which fields are required (and in their Swagger text).
 */
export const WebhookNameRules = () =>
  applyDecorators(
    IsString(),
    Length(1, 100),
    Matches(/\S/, { message: 'must not be blank' }),
    Matches(NO_CONTROL_CHARACTERS, { message: 'must not contain control characters' }),
  );

export const WebhookDescriptionRules = () =>
  applyDecorators(
    IsString(),
    MaxLength(500),
    Matches(NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE, {
      message: 'must not contain control characters other than tabs and newlines',
    }),
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
