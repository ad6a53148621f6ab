import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { LANE_VIEW_MAX_IN_FLIGHT, OPEN_DELIVERY_STATUSES } from '@lms/webhook-domain';
import { MAX_EVENTS_PER_REQUEST_API, MAX_IN_FLIGHT_API } from './webhook-field-rules';

export class WebhookAuthenticationResponse {
  @ApiProperty({ enum: ['NONE', 'BASIC', 'SIGNATURE'] })
  type: string;

  @ApiPropertyOptional({ description: 'BASIC only. The password is never returned.' })
  username?: string;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'HR sync' }) name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ example: 'https://hooks.example.com/lms' }) targetUrl: string;
  @ApiProperty({ type: WebhookAuthenticationResponse }) authentication: WebhookAuthenticationResponse;
  @ApiProperty({ type: [String], example: ['COURSE_ENROLLMENT'] }) events: string[];
  @ApiProperty({ description: 'status === "ACTIVE"' }) active: boolean;
  @ApiProperty({ enum: ['ACTIVE', 'INACTIVE', 'DISABLED'] }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the platform disabled it (DISABLED only)' })
  disabledReason: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) rateLimitPerSecond: number | null;
  @ApiProperty(MAX_IN_FLIGHT_API) maxInFlight: number;
  @ApiProperty(MAX_EVENTS_PER_REQUEST_API) maxEventsPerRequest: number;
  @ApiProperty({ description: 'Requests carry the traceparent/tracestate headers of their attempt' })
  traceContextHeaders: boolean;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
}

export class LaneRequestResponse {
  @ApiProperty({ format: 'uuid', description: 'GET /deliveries/{id} has its events and attempts' })
  deliveryId: string;
  @ApiProperty({ enum: [...OPEN_DELIVERY_STATUSES] }) status: string;
  @ApiProperty({ type: 'integer', example: 1 }) eventCount: number;
  @ApiProperty({ type: 'integer', example: 0 }) attemptCount: number;
  @ApiProperty({ description: 'When it is (re)sent' }) nextAttemptAt: Date;
}

export class LaneResponse {
  @ApiProperty({
    enum: ['REALTIME', 'BATCH'],
    description: 'REALTIME: real-time events, sent at once. BATCH: the others, released by BATCH_CRON.',
  })
  kind: string;
  @ApiProperty({
    type: 'integer',
    example: 0,
    description: 'Events in the lane waiting for a request (released, not yet sent)',
  })
  pendingEvents: number;
  @ApiProperty({
    type: 'integer',
    example: 0,
    description: 'BATCH events waiting for the next release (BATCH_CRON); 0 on the REALTIME lane',
  })
  heldEvents: number;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    example: null,
    description: 'How long the oldest pending event has been in the lane, in ms; null when none is pending',
  })
  oldestPendingAgeMs: number | null;
  @ApiProperty({
    type: [LaneRequestResponse],
    description: `The lane's open requests, oldest first (at most maxInFlight; listed up to ${LANE_VIEW_MAX_IN_FLIGHT})`,
  })
  inFlight: LaneRequestResponse[];
  @ApiProperty({
    nullable: true,
    type: Date,
    description:
      'While the oldest open request that has failed is being retried: when it first failed. With ' +
      'maxInFlight 1 the lane sends nothing else until it succeeds, dies (RETRY_MAX_AGE) or is cancelled.',
  })
  blockedSince: Date | null;
}

/** GET /webhooks/{id}: the webhook and the state of its two lanes. */
export class WebhookDetailResponse extends WebhookResponse {
  @ApiProperty({
    type: [LaneResponse],
    description: 'Its REALTIME and BATCH lanes, in that order: what waits, what is on its way, what blocks',
  })
  lanes: LaneResponse[];
}

export class SigningSecretResponse {
  @ApiProperty({ format: 'uuid' }) webhookId: string;
  @ApiProperty({ example: 'standard-webhooks' }) scheme: string;
  @ApiProperty({ example: 'HMAC-SHA256' }) algorithm: string;
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }) secret: string;
  @ApiProperty({ example: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] }) headers: string[];
  @ApiProperty() createdAt: Date;
  @ApiProperty({
    nullable: true,
    type: Date,
    description: 'After a rotation: until when the previous secret also signs',
  })
  previousSecretExpiresAt: Date | null;
}

export class AuditEntryResponse {
  @ApiProperty({
    enum: [
      'CREATED',
      'UPDATED',
      'ACTIVATED',
      'RETIRED',
      'DELETED',
      'SECRET_ROTATED',
      'SECRET_DOWNLOADED',
      'AUTO_DISABLED',
      'DISABLED_BY_RECEIVER',
    ],
  })
  action: string;
  @ApiProperty({ description: 'JWT sub of the admin, or "system"' }) actor: string;
  @ApiProperty() at: Date;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
}
