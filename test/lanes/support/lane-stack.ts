import { loadDispatcherConfig } from '@lms/config';
import { generateSigningSecret } from '@lms/http-delivery';
import {
  connectLmsProducer,
  deleteTestTopics,
  waitFor,
  type ReceivedRequest,
  type TestListener,
} from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import type { INestApplication } from '@nestjs/common';
import type { Producer } from 'kafkajs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { bootstrap } from '../../../apps/event-ingestion/src/main';
import { dispatcherTestEnv } from '../../dispatcher/support/dispatcher-harness';
import { DispatchFactories } from '../../dispatcher/support/dispatch-factories';
import { createIngestionTestEnv, type IngestionTestEnv } from '../../ingestion/support/ingestion-test-env';
import { kafkaMessage, wireEvent } from '../../ingestion/support/lms-wire.factory';

/** One event as a listener saw it: which request carried it, and whether that request was accepted. */
export interface Receipt {
  eventId: string;
  requestIndex: number;
  webhookMessageId: string;
  accountId: number;
}

/**
 * Ingestion in this process (its own database, topic, group and queue prefix) with a producer that
 * writes as an LMS does (key = accountId), plus the SQL side a lane test needs. Dispatchers are the
 * test's business: in this process (startDispatcher) or as child processes, from `dispatcherEnv`.
 */
export class LaneStack {
  private readonly producedByAccount = new Map<number, string[]>();

  private constructor(
    readonly env: IngestionTestEnv,
    readonly ingestion: INestApplication,
    readonly pool: Pool,
    readonly producer: Producer,
    /** Environment for dispatchers of this stack (same database and queue prefix). */
    readonly dispatcherEnv: Record<string, string>,
    readonly factories: DispatchFactories,
  ) {}

  static async start(
    label: string,
    options: { ingestion?: Record<string, string>; dispatcher?: Record<string, string> } = {},
  ): Promise<LaneStack> {
    const env = await createIngestionTestEnv(label, options.ingestion);
    const ingestion = await bootstrap(env.config, { handleSignals: false });
    const dispatcherEnv = dispatcherTestEnv(env.database.url, {
      QUEUE_PREFIX: env.env.QUEUE_PREFIX,
      ...options.dispatcher,
    });
    const pool = new Pool({ connectionString: env.database.url, max: 3 });
    const factories = new DispatchFactories(
      pool,
      new SecretCipher(loadDispatcherConfig(dispatcherEnv).secretsKey),
    );
    const producer = await connectLmsProducer();
    const stack = new LaneStack(env, ingestion, pool, producer, dispatcherEnv, factories);
    await waitFor('ingestion ready', async () => {
      const response = await fetch(`http://127.0.0.1:${stack.ingestionPort}/health/ready`);
      return response.status === 200;
    });
    return stack;
  }

  get ingestionPort(): number {
    return ((this.ingestion.getHttpServer() as Server).address() as AddressInfo).port;
  }

  /** A SIGNATURE webhook of `accountId` at `url`, with its lane limits set as an operator would. */
  async webhook(
    accountId: number,
    url: string,
    limits: { maxInFlight?: number; maxEventsPerRequest?: number } = {},
  ): Promise<string> {
    const { id } = await this.factories.webhook({
      targetUrl: url,
      accountId,
      authType: 'SIGNATURE',
      secrets: [{ secret: generateSigningSecret() }],
    });
    // The admin API's fields for these are not in yet: SQL, as a migration default would be changed.
    await this.pool.query(
      `UPDATE webhooks SET max_in_flight = COALESCE($2, max_in_flight),
                           max_events_per_request = COALESCE($3, max_events_per_request)
        WHERE id = $1`,
      [id, limits.maxInFlight ?? null, limits.maxEventsPerRequest ?? null],
    );
    return id;
  }

  /**
   * Produces `count` real-time events of one account in one send (one partition, in this order) and
   * remembers their production order. Answers their event ids (also told to `beforeSend`, for a
   * listener that must know them before they can arrive).
   */
  async produce(
    accountId: number,
    count: number,
    beforeSend: (eventIds: string[]) => void = () => undefined,
  ): Promise<string[]> {
    const events = Array.from({ length: count }, () => wireEvent(accountId));
    beforeSend(events.map((event) => event.eventId as string));
    await this.producer.send({
      topic: this.env.config.kafka.eventsTopic,
      acks: -1,
      messages: events.map((event) => kafkaMessage(accountId, event)),
    });
    const ids = events.map((event) => event.eventId as string);
    const produced = this.producedByAccount.get(accountId) ?? [];
    produced.push(...ids);
    this.producedByAccount.set(accountId, produced);
    return ids;
  }

  /** Every event id produced for the account so far, in production order. */
  produced(accountId: number): string[] {
    return this.producedByAccount.get(accountId) ?? [];
  }

  async count(sql: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(sql);
    return Number(rows[0].n);
  }

  /** A counter or gauge from ingestion's /metrics, summed over the series whose labels contain `labels`. */
  async ingestionMetric(name: string, labels = ''): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.ingestionPort}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      .filter((line) => line.includes(labels))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    await this.ingestion.close();
    await this.pool.end();
    await this.env.database.drop();
    await deleteTestTopics([this.env.config.kafka.eventsTopic, this.env.config.kafka.dlqTopic]);
  }
}

/** The events of each request in arrival order, flattened: one receipt per event per request. */
export function receiptsOf(requests: readonly ReceivedRequest[]): Receipt[] {
  return requests.flatMap((request, requestIndex) => {
    const body = JSON.parse(request.body) as { accountId: number; events: Array<{ eventId: string }> };
    return body.events.map((event) => ({
      eventId: event.eventId,
      requestIndex,
      webhookMessageId: String(request.headers['webhook-id']),
      accountId: body.accountId,
    }));
  });
}

/** Event ids in the order of their first receipt (later receipts of the same event are re-sends). */
export function firstReceiptOrder(receipts: readonly Receipt[]): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  for (const { eventId } of receipts) {
    if (seen.has(eventId)) continue;
    seen.add(eventId);
    order.push(eventId);
  }
  return order;
}

/** Waits until `listener` has seen every one of `eventIds` (at least once). */
export async function waitForEvents(
  listener: TestListener,
  eventIds: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const wanted = new Set(eventIds);
  await waitFor(
    `${wanted.size} events at the listener`,
    () => {
      const seen = new Set(receiptsOf(listener.requests).map((receipt) => receipt.eventId));
      const missing = [...wanted].filter((id) => !seen.has(id)).length;
      return missing === 0 ? true : undefined;
    },
    timeoutMs,
    50,
  );
}

/** A listener behaviour's bookkeeping of how many requests it holds open at once (peak). */
export class OpenRequestGauge {
  private open = 0;
  peak = 0;

  /** Call when a request arrives that will be answered in `holdMs`. */
  arrived(holdMs: number): void {
    this.open += 1;
    this.peak = Math.max(this.peak, this.open);
    // Set before the listener's own reply timer (same delay): the count drops before the answer leaves,
    // so a sender that waits for the answer can never be seen as overlapping.
    setTimeout(() => {
      this.open -= 1;
    }, holdMs);
  }
}
