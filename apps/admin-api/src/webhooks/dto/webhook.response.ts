import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

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
  @ApiProperty() createdAt: Date;
  @ApiProperty() updatedAt: Date;
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
      'AUTO_DISABLED',
      'DISABLED_BY_RECEIVER',
    ],
  })
  action: string;
  @ApiProperty({ description: 'JWT sub of the admin, or "system"' }) actor: string;
  @ApiProperty() at: Date;
  @ApiProperty({ type: 'object', additionalProperties: true }) details: Record<string, unknown>;
}
