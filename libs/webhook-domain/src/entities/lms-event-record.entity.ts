import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer';

/** An accepted LMS event. (account_id, event_id) is unique: a second copy of an event creates nothing. */
@Entity({ name: 'events' })
export class LmsEventRecord {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  id: number;

  @Column({ name: 'account_id', type: 'bigint', transformer: bigintNumber })
  accountId: number;

  @Column({ name: 'event_id', type: 'varchar', length: 128 })
  eventId: string;

  @Column({ name: 'event_name', type: 'varchar', length: 64 })
  eventName: string;

  @Column({ type: 'boolean' })
  realtime: boolean;

  /** Epoch milliseconds, as the envelope's `timestamp`. */
  @Column({ name: 'occurred_at', type: 'bigint', transformer: bigintNumber })
  occurredAt: number;

  @Column({ name: 'event_info', type: 'varchar', length: 1024 })
  eventInfo: string;

  @Column({ type: 'json' })
  data: Record<string, unknown>;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;

  @Column({ name: 'source_partition', type: 'integer', nullable: true })
  sourcePartition: number | null;

  @Column({ name: 'source_offset', type: 'bigint', nullable: true })
  sourceOffset: string | null;
}
