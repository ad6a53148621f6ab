import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, ValidateIf } from 'class-validator';
import { UpdateWebhookCommand, type AdminActor } from '@lms/webhook-domain/admin';
import { IsOptionalNotNull } from '../../http/is-optional-not-null.decorator';
import { WebhookAuthenticationDto } from './webhook-authentication.dto';
import {
  AuthenticationRules,
  EventNamesRules,
  MAX_EVENTS_PER_REQUEST_API,
  MAX_IN_FLIGHT_API,
  MaxEventsPerRequestRules,
  MaxInFlightRules,
  RateLimitRules,
  TargetUrlRules,
  WebhookDescriptionRules,
  WebhookNameRules,
  withoutDefault,
} from './webhook-field-rules';

/** Any subset of the create fields, same rules. `active:false` retires the webhook. */
export class UpdateWebhookDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 100, example: 'HR sync' })
  @IsOptionalNotNull()
  @WebhookNameRules()
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, description: 'null clears it' })
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  @WebhookDescriptionRules()
  description?: string | null;

  @ApiPropertyOptional({ maxLength: 2048, example: 'https://hooks.example.com/lms' })
  @IsOptionalNotNull()
  @TargetUrlRules()
  targetUrl?: string;

  @ApiPropertyOptional({
    type: WebhookAuthenticationDto,
    example: { type: 'BASIC', username: 'lms', password: 's3cret' },
  })
  @IsOptionalNotNull()
  @AuthenticationRules()
  authentication?: WebhookAuthenticationDto;

  @ApiPropertyOptional({ type: [String], example: ['COURSE_COMPLETED'] })
  @IsOptionalNotNull()
  @EventNamesRules()
  events?: string[];

  @ApiPropertyOptional({
    description: 'false retires the webhook and cancels its pending deliveries; true (re)activates it',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    nullable: true,
    description: 'null removes the limit',
  })
  @RateLimitRules()
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional(withoutDefault(MAX_IN_FLIGHT_API))
  @MaxInFlightRules()
  maxInFlight?: number;

  @ApiPropertyOptional(withoutDefault(MAX_EVENTS_PER_REQUEST_API))
  @MaxEventsPerRequestRules()
  maxEventsPerRequest?: number;

  @ApiPropertyOptional({
    description: 'false leaves the W3C traceparent/tracestate headers out of its requests; true sends them',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  traceContextHeaders?: boolean;

  toCommand(actor: AdminActor, webhookId: string): UpdateWebhookCommand {
    return UpdateWebhookCommand.create({
      actor,
      webhookId,
      name: this.name,
      description: this.description,
      targetUrl: this.targetUrl,
      authentication: this.authentication?.toInput(),
      events: this.events,
      active: this.active,
      rateLimitPerSecond: this.rateLimitPerSecond,
      maxInFlight: this.maxInFlight,
      maxEventsPerRequest: this.maxEventsPerRequest,
      traceContextHeaders: this.traceContextHeaders,
    });
  }
}
