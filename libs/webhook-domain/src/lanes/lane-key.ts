import type { DeliveryKind } from '../entities/delivery.entity';

/** A webhook's REALTIME or BATCH lane. */
export interface LaneKey {
  webhookId: string;
  kind: DeliveryKind;
}

/** A lane this transaction flipped from idle to busy: its owner must queue exactly this wake-up. */
export interface WokenLane extends LaneKey {
  /** The flipping transaction: a wake-up's job id is unique per activation, so repeats are no-ops. */
  activation: string;
}
