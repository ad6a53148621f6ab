import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer';

/** Which events a delivery carries, in order: one for a real-time delivery, up to BATCH_MAX_EVENTS for a batch. */
@Entity({ name: 'delivery_events' })
export class DeliveryEvent {
  @PrimaryColumn({ name: 'delivery_id', type: 'uuid' })
  deliveryId: string;

  @PrimaryColumn({ type: 'integer' })
  position: number;

  @Column({ name: 'event_pk', type: 'bigint', transformer: bigintNumber })
  eventPk: number;
}
