import type { WokenLane } from '../lanes/lane.repository';

/**
 * Wakes the dispatcher for lanes an admin action just woke (redeliver, replay). The app provides it (a
 * Bull queue in the admin API). It may fail: the items are already in Postgres and the lanes marked
 * busy, and the outbox relay re-queues the wake-up of a busy lane that does not move, so a failure
 * here delays a delivery, never loses it.
 */
export abstract class DeliveryWakeUp {
  abstract wakeLanes(lanes: readonly WokenLane[]): Promise<void>;
}
