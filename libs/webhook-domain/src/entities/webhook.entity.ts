import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer';

export type WebhookAuthType = 'NONE' | 'BASIC' | 'SIGNATURE';
export type WebhookStatus = 'ACTIVE' | 'INACTIVE' | 'DISABLED';

@Entity({ name: 'webhooks' })
export class Webhook {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'account_id', type: 'bigint', transformer: bigintNumber })
  accountId: number;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description: string | null;

  @Column({ name: 'target_url', type: 'varchar', length: 2048 })
  targetUrl: string;

  @Column({ name: 'auth_type', type: 'varchar', length: 16 })
  authType: WebhookAuthType;

  @Column({ name: 'basic_username', type: 'varchar', length: 255, nullable: true })
  basicUsername: string | null;

  /** AES-256-GCM ciphertext (SecretCipher); never the password itself. */
  @Column({ name: 'basic_password_enc', type: 'text', nullable: true })
  basicPasswordEnc: string | null;

  @Column({ type: 'text', array: true })
  events: string[];

  @Column({ type: 'varchar', length: 16 })
  status: WebhookStatus;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond: number | null;

  /** Its requests carry the W3C `traceparent`/`tracestate` of their attempt (when tracing is on). */
  @Column({ name: 'trace_context_headers', type: 'boolean', default: true })
  traceContextHeaders: boolean;

  /** Requests of one lane outstanding at once: 1 keeps the lane in order (each waits for the previous). */
  @Column({ name: 'max_in_flight', type: 'integer' })
  maxInFlight: number;

  /** The most events one real-time request carries (BATCH lanes use BATCH_MAX_EVENTS). */
  @Column({ name: 'max_events_per_request', type: 'integer' })
  maxEventsPerRequest: number;

  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
