import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsBoolean,
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
import { IsOptionalNotNull } from '../../http/is-optional-not-null.decorator';
import { NO_CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE } from '../../http/text-rules';
import { WebhookAuthenticationDto } from './webhook-authentication.dto';

/** Any subset of the create fields, same rules. `active:false` retires the webhook. */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'HR sync' })
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'must not be blank' })
  @Matches(NO_CONTROL_CHARACTERS, { message: 'must not contain control characters' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500, nullable: true, description: 'null clears it' })
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  @IsString()
  @MaxLength(500)
  @Matches(NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE, {
    message: 'must not contain control characters other than tabs and newlines',
  })
  description?: string | null;

  @ApiPropertyOptional({ maxLength: 2048, example: 'https://hooks.example.com/lms' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(2048)
  targetUrl?: string;

  @ApiPropertyOptional({
    type: WebhookAuthenticationDto,
    example: { type: 'BASIC', username: 'lms', password: 's3cret' },
  })
  @IsOptionalNotNull()
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => WebhookAuthenticationDto)
  authentication?: WebhookAuthenticationDto;

  @ApiPropertyOptional({ type: [String], example: ['COURSE_COMPLETED'] })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  events?: string[];

  @ApiPropertyOptional({
    description: 'false retires the webhook and cancels its pending deliveries; true (re)activates it',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, nullable: true, description: 'null removes the limit' })
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  @IsInt()
  @Min(1)
  @Max(10_000)
  rateLimitPerSecond?: number | null;
}
