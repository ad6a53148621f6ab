import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer';

export type DeliveryKind = 'REALTIME' | 'BATCH';
/**
 * PENDING: persisted, due at next_attempt_at (the queue job is only a wake-up call).
 * RETRYING: at least one attempt failed; due again at next_attempt_at.
 * SUCCEEDED, DEAD (gave up; last_error says why), CANCELLED (cancelled_by says who): final.
 */
export type DeliveryStatus = 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'DEAD' | 'CANCELLED';
/** Open: a request still to be sent or retried. Everything that asks "is it open?" asks this. */
export const OPEN_DELIVERY_STATUSES: readonly DeliveryStatus[] = ['PENDING', 'RETRYING'];
/** OPEN_DELIVERY_STATUSES as a SQL list, for `status IN ${OPEN_DELIVERY_STATUSES_SQL}`: `('PENDING', 'RETRYING')`. */
export const OPEN_DELIVERY_STATUSES_SQL = `(${OPEN_DELIVERY_STATUSES.map((status) => `'${status}'`).join(', ')})`;

export function isOpenDeliveryStatus(status: DeliveryStatus): boolean {
  return OPEN_DELIVERY_STATUSES.includes(status);
}

@Entity({ name: 'deliveries' })
export class Delivery {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @Column({ name: 'account_id', type: 'bigint', transformer: bigintNumber })
  accountId: number;

  @Column({ type: 'varchar', length: 16 })
  kind: DeliveryKind;

  @Column({ type: 'varchar', length: 16 })
  status: DeliveryStatus;

  @Column({ name: 'event_count', type: 'integer' })
  eventCount: number;

  @Column({ name: 'attempt_count', type: 'integer' })
  attemptCount: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt: Date;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'cancelled_by', type: 'text', nullable: true })
  cancelledBy: string | null;

  @Column({ name: 'redelivery_of', type: 'uuid', nullable: true })
  redeliveryOf: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;
}
