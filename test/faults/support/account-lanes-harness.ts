import type { EventName } from '@lms/payload-schemas';
import {
  connectBenchProducer,
  createBenchKafka,
  IsolatedStack,
  producePaced,
  startListener,
  stopAppProcess,
  TEST_KAFKA_BROKERS,
  waitFor,
  type AppProcess,
  type LoadPlan,
  type ProduceResult,
  type ProgressCallback,
  type TestListener,
} from '@lms/testing';
import type { Kafka, Producer } from 'kafkajs';
import { OPEN_DELIVERY_STATUSES_SQL } from '@lms/webhook-domain';
import { DeliveryLedger, type LedgerSummary } from './delivery-ledger';
import { DELIVERY_TIMEOUT_MS, DISPATCH_CONCURRENCY } from './fault-harness';

/** The fault suite's short schedules (as FaultHarness), so recovery takes seconds. */
const FAULT_ENV: Record<string, string> = {
  RETRY_SCHEDULE: '200ms,500ms,1s',
  RELAY_INTERVAL_MS: '1s',
  RELAY_GRACE_MS: '2s',
  DISPATCH_CONCURRENCY: String(DISPATCH_CONCURRENCY),
  KAFKA_SESSION_TIMEOUT_MS: '6s',
  QUEUE_LOCK_DURATION_MS: '5s',
  QUEUE_STALLED_INTERVAL_MS: '2s',
  SHUTDOWN_GRACE_MS: '2s',
  DELIVERY_TIMEOUT_MS: String(DELIVERY_TIMEOUT_MS),
};

export interface AccountLanesHarnessOptions {
  label: string;
  /** Accounts of the load; each has ONE webhook subscribed to every event name (one lane per account). */
  accountIds: readonly number[];
  eventNames: readonly EventName[];
  dispatchers: number;
  partitions?: number;
}

/**
 * A whole stack (ingestion + dispatchers as real processes, own database/topic/queue prefix) like
 * FaultHarness, but with one webhook per account, a healthy listener that answers 204 at once, and
 * dispatchers that can be stopped and started one by one (replica churn).
 */
export class AccountLanesHarness {
  private constructor(
    readonly stack: IsolatedStack,
    readonly listener: TestListener,
    readonly ledger: DeliveryLedger,
    readonly kafka: Kafka,
    readonly producer: Producer,
    readonly plan: LoadPlan,
  ) {}

  static async start(options: AccountLanesHarnessOptions): Promise<AccountLanesHarness> {
    const plan: LoadPlan = { accountIds: [...options.accountIds], eventNames: [...options.eventNames] };
    const ledger = new DeliveryLedger(plan);
    const listener = await startListener(ledger.behaviour(() => ({ status: 204 }), DELIVERY_TIMEOUT_MS));
    const kafka = createBenchKafka(TEST_KAFKA_BROKERS, `lmsw-faults-${options.label}`);
    let stack: IsolatedStack | undefined;
    try {
      stack = await IsolatedStack.create({
        label: `fault_${options.label}`,
        kafka,
        brokers: TEST_KAFKA_BROKERS,
        partitions: options.partitions ?? 3,
        env: FAULT_ENV,
        webhooks: () =>
          options.accountIds.map((accountId) => ({
            accountId,
            name: `fault account ${accountId}`,
            targetUrl: `${listener.url}/${accountId}`,
            events: options.eventNames,
          })),
      });
      await stack.startIngestion();
      await stack.startDispatchers(options.dispatchers);
      const producer = await connectBenchProducer(kafka);
      return new AccountLanesHarness(stack, listener, ledger, kafka, producer, plan);
    } catch (error) {
      await stack?.close();
      await listener.close();
      throw error;
    }
  }

  get webhooks(): number {
    return this.stack.webhooks.length;
  }

  produceSteady(
    run: string,
    count: number,
    rate: number,
    onProgress?: ProgressCallback,
  ): Promise<ProduceResult> {
    return producePaced(this.producer, this.stack.topic, this.plan, run, count, rate, onProgress);
  }

  /** One more dispatcher replica (a new process, ready when this resolves). */
  async startDispatcher(): Promise<AppProcess> {
    const [started] = await this.stack.startDispatchers(1);
    return started;
  }

  /** Stops one replica with `signal` (SIGTERM: its graceful shutdown; SIGKILL: no goodbye) and forgets it. */
  async stopDispatcher(app: AppProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    if (signal === 'SIGKILL') {
      await this.stack.kill(app);
      return;
    }
    await stopAppProcess(app, 'SIGTERM');
    this.stack.dispatchers = this.stack.dispatchers.filter((candidate) => candidate !== app);
  }

  /** As FaultHarness.settle: every event acknowledged, then nothing open (no delivery, no busy lane). */
  async settle(run: string, expected: number, timeoutMs = 180_000): Promise<LedgerSummary> {
    try {
      await waitFor(
        `all ${expected} events of ${run} delivered`,
        () => this.ledger.acknowledgedEvents(run) >= expected,
        timeoutMs,
        200,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await this.diagnosis(run, expected)}`, {
        cause: error,
      });
    }
    await waitFor(
      'no open delivery and no busy lane',
      async () => {
        const [row] = await this.stack.query<{ open: string }>(
          `SELECT (SELECT count(*) FROM deliveries WHERE status IN ${OPEN_DELIVERY_STATUSES_SQL})
                + (SELECT count(*) FROM lanes WHERE busy) AS open`,
        );
        return Number(row.open) === 0;
      },
      60_000,
      200,
    );
    return this.ledger.summary(run, expected);
  }

  /** What the ledger, the tables and the apps say: for a failure message. */
  async diagnosis(run: string, expected: number): Promise<string> {
    const summary = this.ledger.summary(run, expected);
    const persisted = await this.stack.persistedEvents(run).catch(() => ({ count: -1 }));
    const statuses = await this.stack
      .query<{ status: string; driven_by: number | null; count: string }>(
        `SELECT status, driven_by, count(*) AS count FROM deliveries WHERE status <> 'SUCCEEDED' GROUP BY 1, 2`,
      )
      .catch(() => []);
    return (
      `ledger: ${JSON.stringify(summary)}\npersisted events: ${persisted.count}; open deliveries: ${JSON.stringify(statuses)}\n` +
      this.stack.apps.map((app) => `--- ${app.name} ---\n${app.output.join('').slice(-2000)}`).join('\n')
    );
  }

  /** Duplicated events with their copies' delivery ids and times (and the attempts of those deliveries). */
  async duplicateLines(run: string, limit = 3): Promise<string[]> {
    const lines: string[] = [];
    for (const { eventId, copies } of this.ledger.duplicateSample(run, limit)) {
      const ids = [...new Set(copies.map((copy) => copy.deliveryId))];
      const attempts = await this.stack
        .query<{
          attempt_number: number;
          started_at: Date;
          status_code: number | null;
          error: string | null;
        }>(
          `SELECT attempt_number, started_at, status_code, error FROM delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY started_at`,
          [ids],
        )
        .catch(() => []);
      lines.push(
        `  duplicate ${eventId}: copies ${copies.map((copy) => `${copy.deliveryId.slice(0, 8)}@${new Date(copy.receivedAt).toISOString().slice(11, 23)}`).join(', ')}; ` +
          `attempts ${attempts.map((a) => `#${a.attempt_number} ${a.started_at.toISOString().slice(11, 23)} ${a.status_code ?? a.error ?? ''}`).join(', ')}`,
      );
    }
    return lines;
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
    await this.stack.close().catch(() => undefined);
    await this.listener.close();
  }
}
