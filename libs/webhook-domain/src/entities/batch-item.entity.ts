import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer';

/** A non-real-time event waiting for its webhook's next batch flush. */
@Entity({ name: 'batch_items' })
export class BatchItem {
  @PrimaryColumn({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @PrimaryColumn({ name: 'event_pk', type: 'bigint', transformer: bigintNumber })
  eventPk: number;

  @Column({ name: 'account_id', type: 'bigint', transformer: bigintNumber })
  accountId: number;

  @Column({ name: 'occurred_at', type: 'bigint', transformer: bigintNumber })
  occurredAt: number;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
