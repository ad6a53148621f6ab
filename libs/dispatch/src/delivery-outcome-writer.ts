import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DeliveryStatus } from '@lms/webhook-domain';
import { DataSource } from 'typeorm';
import { MicroBatcher } from './micro-batcher';

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
 * concurrent jobs are gathered while earlier writes are in flight and written by one set-based statement;
 * each job's promise settles only after the commit, so its Bull job stays unacknowledged until its row
 * is written (a crash before that means the job is retried, never lost).
 */
@Injectable()
export class DeliveryOutcomeWriter implements OnApplicationShutdown {
  private readonly batcher = new MicroBatcher<DeliveryOutcome, WrittenOutcome>(
    (outcomes) => this.write(outcomes),
    // Two writes in flight: one commits while the next batch gathers.
    { maxSize: 250, maxInFlight: 2 },
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

  /**
   * One round trip: the status update, the attempt row, the trim of old attempts and the webhook's
   * failing_since flip are data-modifying CTEs of a single statement (one implicit transaction), so a
   * flush costs one network exchange and one commit instead of five.
   */
  private async writeRound(outcomes: DeliveryOutcome[]): Promise<WrittenOutcome[]> {
    const { succeededWebhooks, failingWebhooks } = failingSinceChanges(outcomes);
    const rows: Array<{ id: string; status: DeliveryStatus; attempt_count: number }> =
      await this.dataSource.query(
        `WITH input AS (
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::text[],
                              $7::timestamptz[], $8::int[], $9::text[])
           AS u(id, status, started_at, status_code, error, dead_reason, next_attempt_at, duration_ms, snippet)
       ),
       updated AS (
         UPDATE deliveries d SET
           attempt_count = d.attempt_count + 1,
           last_attempt_at = u.started_at,
           last_status_code = u.status_code,
           last_error = CASE WHEN u.status = 'SUCCEEDED' THEN NULL ELSE COALESCE(u.dead_reason, u.error) END,
           -- a delivery cancelled while it was being sent stays CANCELLED
           status = CASE WHEN d.status IN ('PENDING', 'RETRYING') THEN u.status ELSE d.status END,
           next_attempt_at = COALESCE(u.next_attempt_at, d.next_attempt_at),
           delivered_at = CASE WHEN u.status = 'SUCCEEDED' AND d.status IN ('PENDING', 'RETRYING') THEN now()
                               ELSE d.delivered_at END,
           updated_at = now()
         FROM input u
         WHERE d.id = u.id
         RETURNING d.id, d.status, d.attempt_count
       ),
       recorded AS (
         INSERT INTO delivery_attempts
           (delivery_id, attempt_number, started_at, duration_ms, status_code, error, response_snippet)
         SELECT u.id, up.attempt_count, u.started_at, u.duration_ms, u.status_code, u.error, u.snippet
           FROM updated up JOIN input u ON u.id = up.id
         ON CONFLICT DO NOTHING
       ),
       -- keep attempts 1..$10 and the latest $11; attempt_count still says how many there were
       trimmed AS (
         DELETE FROM delivery_attempts a USING updated up
          WHERE up.attempt_count > $10::int + $11::int AND a.delivery_id = up.id
            AND a.attempt_number > $10::int AND a.attempt_number <= up.attempt_count - $11::int
       ),
       recovered AS (
         UPDATE webhooks SET failing_since = NULL WHERE id = ANY($12::uuid[]) AND failing_since IS NOT NULL
       ),
       failing AS (
         UPDATE webhooks SET failing_since = now() WHERE id = ANY($13::uuid[]) AND failing_since IS NULL
       )
       SELECT id, status, attempt_count FROM updated`,
        [
          outcomes.map((o) => o.deliveryId),
          outcomes.map((o) => o.status),
          outcomes.map((o) => o.attempt.startedAt.toISOString()),
          outcomes.map((o) => o.attempt.statusCode),
          outcomes.map((o) => o.attempt.error),
          outcomes.map((o) => o.deadReason ?? null),
          outcomes.map((o) => o.nextAttemptAt?.toISOString() ?? null),
          outcomes.map((o) => o.attempt.durationMs),
          outcomes.map((o) => o.attempt.responseSnippet),
          KEEP_FIRST_ATTEMPTS,
          KEEP_LATEST_ATTEMPTS,
          succeededWebhooks,
          failingWebhooks,
        ],
      );
    const byId = new Map(rows.map((row) => [row.id, row]));
    return outcomes.map((o): WrittenOutcome => {
      const row = byId.get(o.deliveryId);
      // No row: the delivery vanished (retention, webhook deleted with cascade): nothing to record.
      return row
        ? { status: row.status, attemptNumber: row.attempt_count }
        : { status: 'CANCELLED', attemptNumber: 0 };
    });
  }
}

/**
 * failing_since marks when a webhook started failing (the auto-disable clock); any success clears it.
 * The WHERE clauses make both updates no-ops almost always, so a webhook row (and its change trigger)
 * is only touched when the state flips.
 */
function failingSinceChanges(outcomes: readonly DeliveryOutcome[]): {
  succeededWebhooks: string[];
  failingWebhooks: string[];
} {
  const succeeded = new Set(outcomes.filter((o) => o.status === 'SUCCEEDED').map((o) => o.webhookId));
  const failing = new Set(
    outcomes.filter((o) => o.status !== 'SUCCEEDED' && !succeeded.has(o.webhookId)).map((o) => o.webhookId),
  );
  return { succeededWebhooks: [...succeeded], failingWebhooks: [...failing] };
}
