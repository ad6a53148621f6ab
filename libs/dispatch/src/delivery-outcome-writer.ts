import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DeliveryStatus } from '@lms/webhook-domain';
import { DataSource, QueryRunner } from 'typeorm';
import { MicroBatcher } from './micro-batcher';
import { inTransaction, sqlRows } from './sql-rows';

export interface AttemptRecord {
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string;
}

export interface DeliveryOutcome {
  deliveryId: string;
  webhookId: string;
  status: Extract<DeliveryStatus, 'SUCCEEDED' | 'RETRYING' | 'DEAD'>;
  attempt: AttemptRecord;
  /** RETRYING only. */
  nextAttemptAt?: Date;
  /** DEAD only, when the reason is not the attempt's own error. */
  deadReason?: string;
}

export interface WrittenOutcome {
  /** The status now in the row: a delivery cancelled while it was being sent stays CANCELLED. */
  status: DeliveryStatus;
  attemptNumber: number;
}

/** First and latest attempts kept per delivery: a week-long outage must not grow the table without bound. */
export const KEEP_FIRST_ATTEMPTS = 5;
export const KEEP_LATEST_ATTEMPTS = 20;

/**
 * After the HTTP call, the status and attempt writes are the dispatcher's bottleneck. Outcomes of
 * concurrent jobs are buffered for a few ms and written by set-based statements in one transaction;
 * each job's promise settles only after the commit, so its Bull job stays unacknowledged until its row
 * is written (a crash before that means the job is retried, never lost).
 */
@Injectable()
export class DeliveryOutcomeWriter implements OnApplicationShutdown {
  private readonly batcher = new MicroBatcher<DeliveryOutcome, WrittenOutcome>(
    (outcomes) => this.write(outcomes),
    {
      windowMs: 3,
      maxSize: 250,
    },
  );

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  record(outcome: DeliveryOutcome): Promise<WrittenOutcome> {
    return this.batcher.submit(outcome);
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
      const written = await this.writeRoundRetryingDeadlocks(round.map(({ outcome }) => outcome));
      round.forEach(({ index }, position) => (results[index] = written[position]));
    }
    return results;
  }

  /** A deadlock with another replica's flush aborts one side: write again rather than resend the HTTP call. */
  private async writeRoundRetryingDeadlocks(outcomes: DeliveryOutcome[]): Promise<WrittenOutcome[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.writeRound(outcomes);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (attempt >= 5 || (code !== '40P01' && code !== '40001')) throw error;
      }
    }
  }

  private async writeRound(unsorted: DeliveryOutcome[]): Promise<WrittenOutcome[]> {
    // Sorted ids: concurrent flushes (other replicas) lock rows in the same order, so they cannot deadlock.
    const outcomes = [...unsorted].sort((a, b) => (a.deliveryId < b.deliveryId ? -1 : 1));
    const written = await inTransaction(this.dataSource, async (runner) => {
      const updated = await sqlRows<{ id: string; status: DeliveryStatus; attempt_count: number }>(
        runner,
        `UPDATE deliveries d SET
            attempt_count = d.attempt_count + 1,
            last_attempt_at = u.started_at,
            last_status_code = u.status_code,
            last_error = CASE WHEN u.status = 'SUCCEEDED' THEN NULL ELSE COALESCE(u.dead_reason, u.error) END,
            status = CASE WHEN d.status IN ('PENDING', 'RETRYING') THEN u.status ELSE d.status END,
            next_attempt_at = COALESCE(u.next_attempt_at, d.next_attempt_at),
            delivered_at = CASE WHEN u.status = 'SUCCEEDED' AND d.status IN ('PENDING', 'RETRYING') THEN now() ELSE d.delivered_at END,
            updated_at = now()
          FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[], $7::timestamptz[])
               AS u(id, status, started_at, status_code, error, dead_reason, next_attempt_at)
         WHERE d.id = u.id
        RETURNING d.id, d.status, d.attempt_count`,
        [
          outcomes.map((o) => o.deliveryId),
          outcomes.map((o) => o.status),
          outcomes.map((o) => o.attempt.startedAt.toISOString()),
          outcomes.map((o) => o.attempt.statusCode),
          outcomes.map((o) => o.attempt.error),
          outcomes.map((o) => o.deadReason ?? null),
          outcomes.map((o) => o.nextAttemptAt?.toISOString() ?? null),
        ],
      );
      const byId = new Map(updated.map((row) => [row.id, row]));
      const present = outcomes.filter((o) => byId.has(o.deliveryId));
      if (present.length > 0) {
        await runner.query(
          `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet)
           SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[])
           ON CONFLICT DO NOTHING`,
          [
            present.map((o) => o.deliveryId),
            present.map((o) => byId.get(o.deliveryId)!.attempt_count),
            present.map((o) => o.attempt.startedAt.toISOString()),
            present.map((o) => o.attempt.durationMs),
            present.map((o) => o.attempt.statusCode),
            present.map((o) => o.attempt.error),
            present.map((o) => o.attempt.responseSnippet),
          ],
        );
        const overflowing = present.filter(
          (o) => byId.get(o.deliveryId)!.attempt_count > KEEP_FIRST_ATTEMPTS + KEEP_LATEST_ATTEMPTS,
        );
        if (overflowing.length > 0) {
          // Keep attempts 1..5 and the latest 20; attempt_count still says how many there were.
          await runner.query(
            `DELETE FROM delivery_attempts a USING unnest($1::uuid[], $2::int[]) AS u(id, n)
              WHERE a.delivery_id = u.id AND a.attempt_number > $3 AND a.attempt_number <= u.n - $4`,
            [
              overflowing.map((o) => o.deliveryId),
              overflowing.map((o) => byId.get(o.deliveryId)!.attempt_count),
              KEEP_FIRST_ATTEMPTS,
              KEEP_LATEST_ATTEMPTS,
            ],
          );
        }
      }
      await this.updateFailingSince(runner, outcomes);
      return byId;
    });
    return outcomes
      .map((o): [DeliveryOutcome, WrittenOutcome] => {
        const row = written.get(o.deliveryId);
        return [
          o,
          row
            ? { status: row.status, attemptNumber: row.attempt_count }
            : { status: 'CANCELLED', attemptNumber: 0 },
        ];
      })
      .sort(([a], [b]) => unsorted.indexOf(a) - unsorted.indexOf(b))
      .map(([, result]) => result);
  }

  /**
   * failing_since marks when a webhook started failing (the auto-disable clock); any success clears it.
   * The WHERE clauses make these no-ops almost always, so the webhook row (and its change trigger) is
   * only touched when the state flips.
   */
  private async updateFailingSince(runner: QueryRunner, outcomes: DeliveryOutcome[]): Promise<void> {
    const succeeded = new Set(outcomes.filter((o) => o.status === 'SUCCEEDED').map((o) => o.webhookId));
    const failing = new Set(
      outcomes.filter((o) => o.status !== 'SUCCEEDED' && !succeeded.has(o.webhookId)).map((o) => o.webhookId),
    );
    if (succeeded.size > 0) {
      await runner.query(
        `UPDATE webhooks SET failing_since = NULL
          WHERE id IN (SELECT unnest($1::uuid[]) ORDER BY 1) AND failing_since IS NOT NULL`,
        [[...succeeded].sort()],
      );
    }
    if (failing.size > 0) {
      await runner.query(
        `UPDATE webhooks SET failing_since = now()
          WHERE id IN (SELECT unnest($1::uuid[]) ORDER BY 1) AND failing_since IS NULL`,
        [[...failing].sort()],
      );
    }
  }
}
