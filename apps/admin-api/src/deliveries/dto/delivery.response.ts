import { ApiProperty } from '@nestjs/swagger';

const DELIVERY_STATUSES = ['PENDING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'CANCELLED'];

export class DeliverySummaryResponse {
  @ApiProperty({ format: 'uuid', description: 'Also the `webhook-id` header the receiver got' }) id: string;
  @ApiProperty({ format: 'uuid' }) webhookId: string;
  @ApiProperty({ enum: ['REALTIME', 'BATCH'] }) kind: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: string;
  @ApiProperty({ type: 'integer' }) eventCount: number;
  @ApiProperty({ type: [String], example: ['COURSE_ENROLLMENT'] }) eventNames: string[];
  @ApiProperty({ type: 'integer' }) attemptCount: number;
  @ApiProperty({ nullable: true, type: Date }) nextAttemptAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) lastAttemptAt: Date | null;
  @ApiProperty({ nullable: true, type: 'integer' }) lastStatusCode: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'HTTP 500' }) lastError: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'admin:alice' }) cancelledBy: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) redeliveryOf: string | null;
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
  @ApiProperty({ nullable: true, type: Date }) deliveredAt: Date | null;
}

export class DeliveryPageResponse {
  @ApiProperty({ type: [DeliverySummaryResponse] }) items: DeliverySummaryResponse[];
  @ApiProperty({ nullable: true, type: String, description: 'Pass as `cursor` for older ones' })
  nextCursor: string | null;
}

export class DeliveryEventResponse {
  @ApiProperty() eventId: string;
  @ApiProperty({ example: 'COURSE_ENROLLMENT' }) eventName: string;
  @ApiProperty({ type: 'integer', description: 'Event time, epoch ms' }) timestamp: number;
}

export class DeliveryAttemptResponse {
  @ApiProperty({ type: 'integer' }) attemptNumber: number;
  @ApiProperty() startedAt: Date;
  @ApiProperty({ type: 'integer' }) durationMs: number;
  @ApiProperty({ nullable: true, type: 'integer' }) statusCode: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'TIMEOUT: headers' }) error: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'First KiB of the answer' })
  responseSnippet: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '4bf92f3577b34da6a3ce929d0e0e4736',
    description:
      "The trace id of the attempt's span (OpenTelemetry), null when the dispatcher did not trace it",
  })
  traceId: string | null;
}

export class DeliveryDetailResponse extends DeliverySummaryResponse {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The request body as sent' })
  payload: unknown;
  @ApiProperty({ type: [DeliveryEventResponse] }) events: DeliveryEventResponse[];
  @ApiProperty({ type: [DeliveryAttemptResponse] }) attempts: DeliveryAttemptResponse[];
}

export class RedeliveryResponse {
  @ApiProperty({ format: 'uuid', description: 'The delivery whose events were appended to its lane again' })
  redeliveryOf: string;
  @ApiProperty({
    enum: ['QUEUED'],
    description:
      "Appended to the end of the webhook's lane; the delivery carrying it (with this redeliveryOf) appears in the log when its turn comes",
  })
  status: string;
  @ApiProperty({ type: 'integer', example: 1 }) eventCount: number;
}

export class ReplayResponse {
  @ApiProperty({ type: 'integer', example: 42 }) count: number;
  @ApiProperty({
    type: 'integer',
    description: "Real-time events appended to the webhook's lane, in event order",
  })
  realtimeEvents: number;
  @ApiProperty({ type: 'integer' }) batchedEvents: number;
}
