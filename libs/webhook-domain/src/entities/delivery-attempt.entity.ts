import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'delivery_attempts' })
export class DeliveryAttempt {
  @PrimaryColumn({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  @PrimaryColumn({ name: 'attempt_number', type: 'integer' })
  attemptNumber: number;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'duration_ms', type: 'integer' })
  durationMs: number;

  @Column({ name: 'status_code', type: 'integer', nullable: true })
  statusCode: number | null;

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'response_snippet', type: 'text', nullable: true })
  responseSnippet: string | null;

  /** The trace id of the attempt's span (tracing); null when the dispatcher did not trace it. */
  @Column({ name: 'trace_id', type: 'text', nullable: true })
  traceId: string | null;
}
