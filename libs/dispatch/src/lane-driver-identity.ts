import { randomInt } from 'node:crypto';

/** Advisory-lock class of driver numbers (lane_driver_alive in lanes/sql/lane-protocol-v2.sql). */
export const LANE_DRIVER_LOCK_CLASS = 7171;

/**
 * This dispatcher process's driver number: stamped on the requests it claims (deliveries.driven_by)
 * and held as a session advisory lock (LANE_DRIVER_LOCK_CLASS, number) on its wake-up connection
 * for as long as the process lives (LaneWakeListener). Recovery re-queues an open request without a
 * job only when its driver's lock is gone, so a live process's requests in memory are never sent twice
 * by a repeated job, and a killed process's requests move as soon as its connection closes.
 */
export class LaneDriverIdentity {
  private number = LaneDriverIdentity.draw();
  /**
   * Whether this process holds its driver lock now. While it does not (before the wake-up connection
   * is up, after it was cut), other dispatchers may queue this process's requests again, so it sends
   * nothing from memory: each next request goes to its queue job instead (LaneDriver), the fence.
   */
  holdsLock = false;

  get driver(): number {
    return this.number;
  }

  /** Another process holds this number's lock (a one-in-a-billion draw): take another. */
  redraw(): number {
    this.number = LaneDriverIdentity.draw();
    return this.number;
  }

  private static draw(): number {
    return randomInt(1, 2 ** 31 - 1);
  }
}
