import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsString,
  Length,
  Matches,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
} from 'class-validator';
import type { WebhookAuthenticationInput } from '@lms/webhook-domain/admin';
import { coded } from '../../http/validation-detail-codes';

export const AUTHENTICATION_TYPES = ['NONE', 'BASIC', 'SIGNATURE'] as const;
type AuthenticationType = (typeof AUTHENTICATION_TYPES)[number];

/** username/password belong to BASIC only: sending them with another type is a mistake worth naming. */
function OnlyForBasic(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'onlyForBasic',
      validator: {
        validate: (_value, args) => (args?.object as { type?: unknown }).type === 'BASIC',
        defaultMessage: () => 'is only allowed when type is BASIC',
      },
    },
    options,
  );
}

export class WebhookAuthenticationDto {
  @ApiProperty({
    enum: AUTHENTICATION_TYPES,
    example: 'SIGNATURE',
    description:
      'SIGNATURE: the system generates a signing secret (download it from GET /webhooks/{id}/signature)',
  })
  @IsIn(AUTHENTICATION_TYPES)
  type: AuthenticationType;

  @ApiPropertyOptional({ example: 'lms-hooks', description: 'BASIC only' })
  @ValidateIf((auth: WebhookAuthenticationDto) => auth.type === 'BASIC' || auth.username !== undefined)
  @OnlyForBasic()
  @IsString()
  @Length(1, 255)
  @Matches(
    /^[^:\p{Cc}]*$/u,
    coded('USERNAME_CHARACTERS', { message: 'must not contain ":" or control characters' }),
  )
  username?: string;

  @ApiPropertyOptional({
    example: 'correct horse battery staple',
    description:
      'BASIC only; required on create and when switching to BASIC, omit it to keep the stored one. Never returned.',
    writeOnly: true,
  })
  @ValidateIf((auth: WebhookAuthenticationDto) => auth.password !== undefined)
  @OnlyForBasic()
  @IsString()
  @Length(1, 1024)
  password?: string;

  toInput(): WebhookAuthenticationInput {
    switch (this.type) {
      case 'BASIC':
        return { type: 'BASIC', username: this.username ?? '', password: this.password };
      case 'NONE':
        return { type: 'NONE' };
      case 'SIGNATURE':
        return { type: 'SIGNATURE' };
    }
  }
}
