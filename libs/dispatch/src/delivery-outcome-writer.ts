import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  LaneRepository,
  retryOnDeadlock,
  type DeliveryOutcome,
  type LaneKey,
  type WrittenOutcome,
} from '@lms/webhook-domain';
import { MicroBatcher } from './micro-batcher';
import { isInfrastructureError } from './retry-delivery-error';

/** One job's share of a batched write: its written outcome, or the error that is its alone. */
type OutcomeWrite = { written: WrittenOutcome } | { error: unknown };

/**
 * After the HTTP call, the status and attempt writes are the dispatcher's bottleneck. Outcomes of
 * concurrent jobs are gathered while earlier writes are in flight and written by one set-based statement
 * (LaneRepository.recordOutcomes); each job's promise settles only after the commit, so its Bull job
 * stays unacknowledged until its row is written (a crash before that means the job is retried, never lost).
 *
 * The outcomes of one batch come from many accounts' listeners: a write that fails for one of them
 * (anything but the database being unreachable) is split until that outcome is alone, so its error goes
 * to its own job only and every other outcome is written.
 */
@Injectable()
export class DeliveryOutcomeWriter implements OnApplicationShutdown {
  private readonly batcher = new MicroBatcher<DeliveryOutcome, OutcomeWrite>(
    (outcomes) => this.write(outcomes),
    // Two writes in flight: one commits while the next batch gathers.
    { maxSize: 250, maxInFlight: 2 },
  );

  constructor(private readonly deliveries: LaneRepository) {}

  async record(outcome: DeliveryOutcome): Promise<WrittenOutcome> {
    const write = await this.batcher.submit(outcome);
    if ('error' in write) throw write.error;
    return write.written;
  }

  /**
   * Makes an open delivery DEAD with `reason`, without an attempt (the dispatcher gave up on it). Rare,
   * so not batched. Answers its lane, and whether it was still open; null when it vanished.
   */
  giveUp(deliveryId: string, reason: string): Promise<{ lane: LaneKey; gaveUp: boolean } | null> {
    return retryOnDeadlock(() => this.deliveries.giveUp(deliveryId, reason));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.batcher.drain();
  }

  private async write(outcomes: DeliveryOutcome[]): Promise<OutcomeWrite[]> {
    // One UPDATE ... FROM unnest touches a row once: a repeated id (a stalled job running twice) waits
    // for the next statement round.
    const results = new Array<OutcomeWrite>(outcomes.length);
    let remaining = outcomes.map((outcome, index) => ({ outcome, index }));
    while (remaining.length > 0) {
      const seen = new Set<string>();
      const round = remaining.filter(
        ({ outcome }) => !seen.has(outcome.deliveryId) && seen.add(outcome.deliveryId),
      );
      remaining = remaining.filter((entry) => !round.includes(entry));
      const written = await this.writeIsolatingFailures(round.map(({ outcome }) => outcome));
      round.forEach(({ index }, position) => (results[index] = written[position]));
    }
    return results;
  }

  private async writeIsolatingFailures(outcomes: DeliveryOutcome[]): Promise<OutcomeWrite[]> {
    try {
      // A deadlock with another replica's lane step aborts one side: write again rather than resend.
      const written = await retryOnDeadlock(() => this.deliveries.recordOutcomes(outcomes));
      return written.map((outcome) => ({ written: outcome }));
    } catch (error) {
      // The database away is everyone's error: no split (it would only multiply the failing statements).
      if (outcomes.length === 1 || isInfrastructureError(error)) return outcomes.map(() => ({ error }));
      const half = Math.ceil(outcomes.length / 2);
      const first = await this.writeIsolatingFailures(outcomes.slice(0, half));
      const second = await this.writeIsolatingFailures(outcomes.slice(half));
      return [...first, ...second];
    }
  }
}
