/**
 * Wakes the dispatcher for deliveries just committed. The app provides it (a Bull queue in the admin
 * API). It may fail: the rows are already in Postgres, and the outbox relay enqueues PENDING rows that
 * were never queued, so a failure here delays a delivery, never loses it.
 */
export abstract class DeliveryWakeUp {
  abstract wake(deliveryIds: readonly string[]): Promise<void>;
}
