import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
  IsOptional,
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

const NOT_BLANK = /\S/;

export class CreateWebhookDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'HR sync', description: 'Unique within the account' })
  @IsString()
  @Length(1, 100)
  @Matches(NOT_BLANK, { message: 'must not be blank' })
  @Matches(NO_CONTROL_CHARACTERS, { message: 'must not contain control characters' })
  name: string;

  @ApiPropertyOptional({ maxLength: 500, example: 'Sends enrollments to the HR system', nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @Matches(NO_CONTROL_CHARACTERS_EXCEPT_WHITESPACE, {
    message: 'must not contain control characters other than tabs and newlines',
  })
  description?: string | null;

  @ApiProperty({
    maxLength: 2048,
    example: 'https://hooks.example.com/lms',
    description: 'Absolute https URL (http only where allowed), no credentials',
  })
  @IsString()
  @MaxLength(2048)
  targetUrl: string;

  @ApiProperty({ type: WebhookAuthenticationDto, example: { type: 'SIGNATURE' } })
  @IsObject()
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => WebhookAuthenticationDto)
  authentication: WebhookAuthenticationDto;

  @ApiProperty({
    type: [String],
    example: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'],
    description: 'Event names from GET /event-types',
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  events: string[];

  @ApiPropertyOptional({ default: false, description: 'A webhook delivers nothing until activated' })
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 10000,
    nullable: true,
    example: 50,
    description: 'Requests per second to this target, across all dispatchers',
  })
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  @IsInt()
  @Min(1)
  @Max(10_000)
  rateLimitPerSecond?: number | null;
}
