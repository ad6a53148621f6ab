import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { CreateWebhookCommand, type AdminActor } from '@lms/webhook-domain/admin';
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
} from './webhook-field-rules';

export class CreateWebhookDto {
  @ApiProperty({ minLength: 1, maxLength: 100, example: 'HR sync', description: 'Unique within the account' })
  @WebhookNameRules()
  name: string;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    example: 'Sends enrollments to the HR system',
  })
  @IsOptional()
  @WebhookDescriptionRules()
  description?: string | null;

  @ApiProperty({
    maxLength: 2048,
    example: 'https://hooks.example.com/lms',
    description: 'Absolute https URL (http only where allowed), no credentials',
  })
  @TargetUrlRules()
  targetUrl: string;

  @ApiProperty({ type: WebhookAuthenticationDto, example: { type: 'SIGNATURE' } })
  @AuthenticationRules()
  authentication: WebhookAuthenticationDto;

  @ApiProperty({
    type: [String],
    example: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'],
    description: 'Event names from GET /event-types',
  })
  @EventNamesRules()
  events: string[];

  @ApiPropertyOptional({ default: false, description: 'A webhook delivers nothing until activated' })
  @IsOptionalNotNull()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: 10000,
    nullable: true,
    example: 50,
    description: 'Requests per second to this target, across all dispatchers',
  })
  @RateLimitRules()
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional(MAX_IN_FLIGHT_API)
  @MaxInFlightRules()
  maxInFlight?: number;

  @ApiPropertyOptional(MAX_EVENTS_PER_REQUEST_API)
  @MaxEventsPerRequestRules()
  maxEventsPerRequest?: number;

  @ApiPropertyOptional({
    default: true,
    description:
      'Requests carry the W3C traceparent/tracestate headers of their attempt when tracing is on; false leaves them out',
  })
  @IsOptionalNotNull()
  @IsBoolean()
  traceContextHeaders?: boolean;

  toCommand(actor: AdminActor): CreateWebhookCommand {
    return CreateWebhookCommand.create({
      actor,
      name: this.name,
      description: this.description,
      targetUrl: this.targetUrl,
      authentication: this.authentication.toInput(),
      events: this.events,
      active: this.active,
      rateLimitPerSecond: this.rateLimitPerSecond,
      maxInFlight: this.maxInFlight,
      maxEventsPerRequest: this.maxEventsPerRequest,
      traceContextHeaders: this.traceContextHeaders,
    });
  }
}
