import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  LaneRepository,
  retryOnDeadlock,
  type DeliveryOutcome,
  type LaneKey,
  type WrittenOutcome,
} from '@lms/webhook-domain';
import { MicroBatcher } from './micro-batcher';

/**
 * After the HTTP call, the status and attempt writes are the dispatcher's bottleneck. Outcomes of
 * concurrent jobs are gathered while earlier writes are in flight and written by one set-based statement
 * (LaneRepository.recordOutcomes); each job's promise settles only after the commit, so its Bull job
 * stays unacknowledged until its row is written (a crash before that means the job is retried, never lost).
 */
@Injectable()
export class DeliveryOutcomeWriter implements OnApplicationShutdown {
  private readonly batcher = new MicroBatcher<DeliveryOutcome, WrittenOutcome>(
    (outcomes) => this.write(outcomes),
    // Two writes in flight: one commits while the next batch gathers.
    { maxSize: 250, maxInFlight: 2 },
  );

  constructor(private readonly deliveries: LaneRepository) {}

  record(outcome: DeliveryOutcome): Promise<WrittenOutcome> {
    return this.batcher.submit(outcome);
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

  private async write(outcomes: DeliveryOutcome[]): Promise<WrittenOutcome[]> {
    // One UPDATE ... FROM unnest touches a row once: a repeated id (a stalled job running twice) waits
    // for the next statement round.
    const results = new Array<WrittenOutcome>(outcomes.length);
    let remaining = outcomes.map((outcome, index) => ({ outcome, index }));
    while (remaining.length > 0) {
      const seen = new Set<string>();
      const round = remaining.filter(
        ({ outcome }) => !seen.has(outcome.deliveryId) && seen.add(outcome.deliveryId),
      );
      remaining = remaining.filter((entry) => !round.includes(entry));
      // A deadlock with another replica's lane step aborts one side: write again rather than resend.
      const written = await retryOnDeadlock(() =>
        this.deliveries.recordOutcomes(round.map(({ outcome }) => outcome)),
      );
      round.forEach(({ index }, position) => (results[index] = written[position]));
    }
    return results;
  }
}
