import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import {
  LaneRepository,
  retryOnDeadlock,
  type ClaimedRequest,
  type DeliveryOutcome,
  type LaneKey,
  type WrittenOutcome,
} from '@lms/webhook-domain';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { LaneDriverIdentity } from './lane-driver-identity';
import { MicroBatcher } from './micro-batcher';
import { isInfrastructureError } from './retry-delivery-error';

/** One job's share of a batched write: its result, or the error that is its alone. */
type Settled<Result> = { result: Result } | { error: unknown };

/** An outcome and the lane of its request (whose next request a record-and-claim takes). */
interface LaneOutcome {
  outcome: DeliveryOutcome;
  lane: LaneKey;
}

/** A written outcome, and the requests its write claimed for the lane (empty unless it finished one). */
export interface RecordedAndClaimed {
  written: WrittenOutcome;
  claimed: ClaimedRequest[];
}

/**
 * After the HTTP call, the status and attempt writes are the dispatcher's bottleneck. Outcomes of
 * concurrent requests are gathered while earlier writes are in flight and written by one set-based
 * statement; each caller's promise settles only after the commit, so nothing is acknowledged before
 * its row is written (a crash before that means the request is sent again, never lost).
 *
 * Two kinds of write: `record` (the outcome alone: a retry keeps its lane blocked) and
 * `recordAndClaim` (a finished request: the outcome plus the lane's next request with its events,
 * lane_record_and_claim, one round trip).
 *
 * The outcomes of one batch come from many accounts' listeners: a write that fails for one of them
 * (anything but the database being unreachable) is split until that outcome is alone, so its error
 * goes to its own caller only and every other outcome is written.
 */
@Injectable()
export class DeliveryOutcomeWriter implements OnApplicationShutdown {
  // Two writes in flight per kind: one commits while the next batch gathers.
  private readonly records = new MicroBatcher<DeliveryOutcome, Settled<WrittenOutcome>>(
    (outcomes) =>
      this.writeBatch(
        outcomes,
        (o) => o.deliveryId,
        (part) => this.recordMany(part),
      ),
    { maxSize: 250, maxInFlight: 2 },
  );
  private readonly recordsAndClaims = new MicroBatcher<LaneOutcome, Settled<RecordedAndClaimed>>(
    (entries) =>
      this.writeBatch(
        entries,
        (e) => e.outcome.deliveryId,
        (part) => this.recordAndClaimMany(part),
      ),
    { maxSize: 250, maxInFlight: 2 },
  );

  constructor(
    private readonly deliveries: LaneRepository,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly identity: LaneDriverIdentity,
  ) {}

  async record(outcome: DeliveryOutcome): Promise<WrittenOutcome> {
    return settledResult(await this.records.submit(outcome));
  }

  /** A finished request's outcome, and its lane's next request(s) claimed in the same transaction. */
  async recordAndClaim(outcome: DeliveryOutcome, lane: LaneKey): Promise<RecordedAndClaimed> {
    return settledResult(await this.recordsAndClaims.submit({ outcome, lane }));
  }

  /**
   * Makes an open delivery DEAD with `reason`, without an attempt (the dispatcher gave up on it). Rare,
   * so not batched. Answers its lane, and whether it was still open; null when it vanished.
   */
  giveUp(deliveryId: string, reason: string): Promise<{ lane: LaneKey; gaveUp: boolean } | null> {
    return retryOnDeadlock(() => this.deliveries.giveUp(deliveryId, reason));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.records.drain(), this.recordsAndClaims.drain()]);
  }

  private recordMany(outcomes: DeliveryOutcome[]): Promise<WrittenOutcome[]> {
    // A deadlock with another replica's lane step aborts one side: write again rather than resend.
    return retryOnDeadlock(() => this.deliveries.recordOutcomes(outcomes));
  }

  private async recordAndClaimMany(entries: LaneOutcome[]): Promise<RecordedAndClaimed[]> {
    const { written, claimed } = await retryOnDeadlock(() =>
      this.deliveries.recordAndClaim(
        entries.map((entry) => entry.outcome),
        this.config.batchMaxEvents,
        this.config.maxRequestBodyBytes,
        this.identity.driver,
      ),
    );
    // A lane's claims go to the first of its outcomes in this batch (two only with maxInFlight > 1).
    const claimedFor = new Map<string, ClaimedRequest[]>();
    for (const request of claimed) {
      const key = laneKey(request);
      claimedFor.set(key, [...(claimedFor.get(key) ?? []), request]);
    }
    return entries.map((entry, index) => {
      const key = laneKey(entry.lane);
      const requests = claimedFor.get(key) ?? [];
      claimedFor.delete(key);
      return { written: written[index], claimed: requests };
    });
  }

  /**
   * One UPDATE ... FROM unnest touches a row once: a repeated id (a stalled job running twice) waits
   * for the next statement round.
   */
  private async writeBatch<Input, Result>(
    inputs: Input[],
    idOf: (input: Input) => string,
    write: (part: Input[]) => Promise<Result[]>,
  ): Promise<Array<Settled<Result>>> {
    const results = new Array<Settled<Result>>(inputs.length);
    let remaining = inputs.map((input, index) => ({ input, index }));
    while (remaining.length > 0) {
      const seen = new Set<string>();
      const round = remaining.filter(({ input }) => !seen.has(idOf(input)) && seen.add(idOf(input)));
      remaining = remaining.filter((entry) => !round.includes(entry));
      const written = await writeIsolatingFailures(
        round.map(({ input }) => input),
        write,
      );
      round.forEach(({ index }, position) => (results[index] = written[position]));
    }
    return results;
  }
}

async function writeIsolatingFailures<Input, Result>(
  inputs: Input[],
  write: (part: Input[]) => Promise<Result[]>,
): Promise<Array<Settled<Result>>> {
  try {
    return (await write(inputs)).map((result) => ({ result }));
  } catch (error) {
    // The database away is everyone's error: no split (it would only multiply the failing statements).
    if (inputs.length === 1 || isInfrastructureError(error)) return inputs.map(() => ({ error }));
    const half = Math.ceil(inputs.length / 2);
    const first = await writeIsolatingFailures(inputs.slice(0, half), write);
    const second = await writeIsolatingFailures(inputs.slice(half), write);
    return [...first, ...second];
  }
}

function settledResult<Result>(settled: Settled<Result>): Result {
  if ('error' in settled) throw settled.error;
  return settled.result;
}

function laneKey(lane: LaneKey): string {
  return `${lane.webhookId}:${lane.kind}`;
}
