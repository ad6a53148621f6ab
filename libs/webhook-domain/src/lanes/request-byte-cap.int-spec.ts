import { randomUUID } from 'node:crypto';
import { serializeEnvelope, type EnvelopeEvent } from '@lms/http-delivery';
import { createTestDatabase, insertWebhookRow, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { DeliveryLanes1764500000000 } from '../migrations/1764500000000-delivery-lanes';
import { RequestByteCap1764600000200 } from '../migrations/1764600000200-request-byte-cap';
import { WEBHOOK_DOMAIN_MIGRATIONS } from '../migrations';
import { LaneAppendRepository, type IngestedEvent } from './lane-append.repository';
import type { LaneKey } from './lane-key';
import { LaneRepository } from './lane.repository';

const ACCOUNT = 4242;
const KIB = 1024;
const MIB = 1024 * KIB;
const BATCH_MAX_EVENTS = 100;

function openDataSource(url: string, migrations: Array<new () => unknown>): Promise<DataSource> {
  const source = new DataSource({
    type: 'postgres',
    url,
    migrations: migrations as never,
    migrationsTableName: 'schema_migrations',
  });
  return source.initialize();
}

/** An LMS event whose data is about `dataBytes` long, with text that needs JSON escaping in eventInfo. */
function lmsEvent(sequence: number, dataBytes: number): IngestedEvent {
  return {
    accountId: ACCOUNT,
    eventId: `evt-${sequence}-${randomUUID()}`,
    eventName: 'COURSE_COMPLETED',
    realtime: true,
    occurredAt: 1_764_600_000_000 + sequence,
    eventInfo: `course "Intro" \\ line\nbreak, ünïcödé`,
    dataJson: JSON.stringify({ sequence, blob: 'x'.repeat(Math.max(0, dataBytes - 30)) }),
    sourcePartition: 0,
    sourceOffset: String(sequence),
  };
}

/**
 * The lane step against the real Postgres: a request takes up to max_events_per_request of the oldest
 * items, and no more than fit in the byte cap (the first always goes).
 */
describe('lane step: per-request byte cap', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let lanes: LaneRepository;
  let appends: LaneAppendRepository;

  beforeAll(async () => {
    database = await createTestDatabase('request_byte_cap');
    dataSource = await openDataSource(database.url, WEBHOOK_DOMAIN_MIGRATIONS);
    await dataSource.runMigrations();
    lanes = new LaneRepository(dataSource);
    appends = new LaneAppendRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  /** A webhook with a lane wide enough to take every request at once (max_in_flight 50). */
  async function webhook(maxEventsPerRequest: number): Promise<LaneKey> {
    const id = randomUUID();
    await insertWebhookRow(dataSource, {
      id,
      accountId: ACCOUNT,
      name: `cap ${id}`,
      targetUrl: 'http://127.0.0.1:9/hooks',
      events: ['COURSE_COMPLETED'],
      status: 'ACTIVE',
      maxInFlight: 50,
      maxEventsPerRequest,
    });
    return { webhookId: id, kind: 'REALTIME' };
  }

  /** Stores the events as ingestion does (same statement), appended to the lane in this order. */
  async function ingest(lane: LaneKey, events: IngestedEvent[]): Promise<void> {
    await appends.storeIngestedBatch(
      events,
      events.map((event, order) => ({
        accountId: event.accountId,
        eventId: event.eventId,
        occurredAt: event.occurredAt,
        webhookId: lane.webhookId,
        kind: lane.kind,
        order,
      })),
    );
  }

  /** Each request's events in position order, as the dispatcher loads them (requests in the order given). */
  async function requestsOf(deliveryIds: readonly string[]): Promise<EnvelopeEvent[][]> {
    const rows = await dataSource.query<
      Array<{
        delivery_id: string;
        event_id: string;
        event_name: string;
        occurred_at: string;
        event_info: string;
        data: string;
      }>
    >(
      `SELECT d.id AS delivery_id, e.event_id, e.event_name, e.occurred_at, e.event_info, e.data::text AS data
         FROM deliveries d JOIN delivery_events de ON de.delivery_id = d.id JOIN events e ON e.id = de.event_pk
        WHERE d.id = ANY($1::uuid[]) ORDER BY de.position`,
      [deliveryIds],
    );
    const byDelivery = new Map<string, EnvelopeEvent[]>();
    for (const row of rows) {
      const events = byDelivery.get(row.delivery_id) ?? [];
      events.push({
        eventId: row.event_id,
        eventName: row.event_name,
        timestamp: Number(row.occurred_at),
        eventInfo: row.event_info,
        dataJson: row.data,
      });
      byDelivery.set(row.delivery_id, events);
    }
    return deliveryIds.map((id) => byDelivery.get(id) ?? []);
  }

  /** The lane step through the claim: the requests it created, in the order it created them. */
  async function advance(lanesToMove: LaneKey[], batchMaxEvents: number, maxRequestBytes: number) {
    const claimed = await lanes.claim(lanesToMove, batchMaxEvents, maxRequestBytes);
    return claimed.map((request) => ({
      deliveryId: request.deliveryId,
      eventCount: request.events.length,
      accountId: request.accountId,
    }));
  }

  const bodyBytes = (events: readonly EnvelopeEvent[]) => serializeEnvelope(ACCOUNT, events).length;

  it('cuts a request before its body would pass the cap, and fills each request as far as the cap allows', async () => {
    const lane = await webhook(BATCH_MAX_EVENTS);
    const events = Array.from({ length: 10 }, (_, i) => lmsEvent(i, 300 * KIB));
    await ingest(lane, events);

    const created = await advance([lane], BATCH_MAX_EVENTS, MIB);

    expect(created.map((delivery) => delivery.eventCount)).toEqual([3, 3, 3, 1]);
    expect(created.every((delivery) => delivery.accountId === ACCOUNT)).toBe(true);
    // One statement created them all (same created_at): their order is the order advance answered.
    const requests = await requestsOf(created.map((delivery) => delivery.deliveryId));
    expect(requests.flat().map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
    for (const [index, request] of requests.entries()) {
      expect(bodyBytes(request)).toBeLessThanOrEqual(MIB);
      // Tight: one more event of the lane would not have fitted.
      const next = requests[index + 1]?.[0];
      if (next) expect(bodyBytes([...request, next])).toBeGreaterThan(MIB);
    }
  });

  it('estimates the body from the stored sizes within a few bytes per event, never below the real size', async () => {
    const exactBodyOfThree = bodyBytes(
      [0, 1, 2].map((i) => {
        const event = lmsEvent(i, 40 * KIB);
        return { ...event, timestamp: event.occurredAt };
      }),
    );
    // Headroom for the digits an account id and the timestamps may take (the estimate counts 20 each).
    const slack = 64 + 3 * 20;
    const fits = await webhook(BATCH_MAX_EVENTS);
    await ingest(
      fits,
      Array.from({ length: 6 }, (_, i) => lmsEvent(i, 40 * KIB)),
    );
    const justTooSmall = await webhook(BATCH_MAX_EVENTS);
    await ingest(
      justTooSmall,
      Array.from({ length: 6 }, (_, i) => lmsEvent(i, 40 * KIB)),
    );

    const [first] = await advance([fits], BATCH_MAX_EVENTS, exactBodyOfThree + slack);
    const [cut] = await advance([justTooSmall], BATCH_MAX_EVENTS, exactBodyOfThree - 1);

    expect(first.eventCount).toBe(3);
    expect(cut.eventCount).toBe(2);
  });

  it('sizes the items a redelivery or replay appends, too', async () => {
    const source = await webhook(BATCH_MAX_EVENTS);
    const events = Array.from({ length: 10 }, (_, i) => lmsEvent(i, 300 * KIB));
    await ingest(source, events);
    const eventPks = (
      await dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM events WHERE event_id = ANY($1) ORDER BY occurred_at`,
        [events.map((event) => event.eventId)],
      )
    ).map((row) => Number(row.id));
    const replayed = await webhook(BATCH_MAX_EVENTS);
    await dataSource.transaction((manager) =>
      appends.append(manager, replayed, eventPks, { releaseNow: true }),
    );

    const created = await advance([replayed], BATCH_MAX_EVENTS, MIB);

    expect(created.map((delivery) => delivery.eventCount)).toEqual([3, 3, 3, 1]);
  });

  it('sends an event bigger than the cap alone rather than never', async () => {
    const lane = await webhook(BATCH_MAX_EVENTS);
    await ingest(lane, [lmsEvent(0, 600 * KIB), lmsEvent(1, 10 * KIB), lmsEvent(2, 10 * KIB)]);

    const created = await advance([lane], BATCH_MAX_EVENTS, 512 * KIB);

    expect(created.map((delivery) => delivery.eventCount)).toEqual([1, 2]);
  });

  it('leaves requests of ordinary events as they were: max_events_per_request decides', async () => {
    const lane = await webhook(BATCH_MAX_EVENTS);
    await ingest(
      lane,
      Array.from({ length: 250 }, (_, i) => lmsEvent(i, 400)),
    );

    const created = await advance([lane], BATCH_MAX_EVENTS, 4 * MIB);

    expect(created.map((delivery) => delivery.eventCount)).toEqual([100, 100, 50]);
  });

  it('records each event’s size at ingestion, and every item carries it: the step never reads events', async () => {
    const lane = await webhook(BATCH_MAX_EVENTS);
    const events = Array.from({ length: 10 }, (_, i) => lmsEvent(i, 300 * KIB));
    await ingest(lane, events);
    const [stored] = await dataSource.query<Array<{ sized: number; exact: number }>>(
      `SELECT count(*) FILTER (WHERE data_bytes IS NOT NULL)::int AS sized,
              count(*) FILTER (WHERE data_bytes = octet_length(data::text))::int AS exact
         FROM events WHERE event_id = ANY($1)`,
      [events.map((event) => event.eventId)],
    );
    expect(stored).toEqual({ sized: 10, exact: 10 });
    const [items] = await dataSource.query<Array<{ sized: number }>>(
      `SELECT count(*)::int AS sized FROM lane_items WHERE webhook_id = $1 AND body_bytes > 300 * 1024`,
      [lane.webhookId],
    );
    expect(items.sized).toBe(10);
    // Items added before the size columns were measured by the PartitionedEvents migration.
    await expect(
      dataSource.query(`UPDATE lane_items SET body_bytes = NULL WHERE webhook_id = $1`, [lane.webhookId]),
    ).rejects.toThrow(/not-null/);

    const created = await advance([lane], BATCH_MAX_EVENTS, MIB);

    expect(created.map((delivery) => delivery.eventCount)).toEqual([3, 3, 3, 1]);
  });
});

describe('migration RequestByteCap1764600000200', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('request_byte_cap_down');
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('goes down to the uncapped lane step and up again', async () => {
    const upTo = WEBHOOK_DOMAIN_MIGRATIONS.slice(
      0,
      WEBHOOK_DOMAIN_MIGRATIONS.indexOf(RequestByteCap1764600000200) + 1,
    );
    expect(upTo).toContain(DeliveryLanes1764500000000);
    const source = await openDataSource(database.url, upTo);
    try {
      await source.runMigrations();
      const signatures = () =>
        source
          .query<Array<{ signature: string }>>(
            `SELECT p.oid::regprocedure::text AS signature FROM pg_proc p
              WHERE p.proname IN ('advance_lane', 'advance_lanes', 'lane_event_body_bytes') ORDER BY 1`,
          )
          .then((rows) => rows.map((row) => row.signature));
      const hasSizeColumns = () =>
        source
          .query<unknown[]>(
            `SELECT 1 FROM information_schema.columns
              WHERE (table_name, column_name) IN (('events', 'data_bytes'), ('lane_items', 'body_bytes'))`,
          )
          .then((rows) => rows.length === 2);

      expect(await signatures()).toEqual([
        'advance_lane(uuid,text,integer,bigint)',
        'advance_lanes(uuid[],text[],integer,bigint)',
        'lane_event_body_bytes(integer,json,text,text,text)',
      ]);
      await source.undoLastMigration();
      expect(await signatures()).toEqual([
        'advance_lane(uuid,text,integer)',
        'advance_lanes(uuid[],text[],integer)',
      ]);
      expect(await hasSizeColumns()).toBe(false);
      // What the lane step did before: the whole window in one request, whatever its size.
      const webhookId = await insertWebhookRow(source, {
        accountId: ACCOUNT,
        name: 'down',
        targetUrl: 'http://127.0.0.1:9/hooks',
        events: ['COURSE_COMPLETED'],
        status: 'ACTIVE',
      });
      const big = JSON.stringify({ blob: 'x'.repeat(300 * KIB) });
      await source.query(
        `WITH e AS (
           INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
           SELECT $2, 'down-' || g, 'COURSE_COMPLETED', true, g, $3::json FROM generate_series(1, 10) g
           RETURNING id, account_id)
         INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, released)
         SELECT $1, 'REALTIME', e.id, e.account_id, true FROM e ORDER BY e.id`,
        [webhookId, ACCOUNT, big],
      );
      const [uncapped] = await source.query<Array<{ event_count: number }>>(
        `SELECT event_count FROM advance_lanes(ARRAY[$1::uuid], ARRAY['REALTIME'], 100)`,
        [webhookId],
      );
      expect(uncapped.event_count).toBe(10);

      await source.runMigrations();
      expect(await signatures()).toEqual([
        'advance_lane(uuid,text,integer,bigint)',
        'advance_lanes(uuid[],text[],integer,bigint)',
        'lane_event_body_bytes(integer,json,text,text,text)',
      ]);
      expect(await hasSizeColumns()).toBe(true);
    } finally {
      await source.destroy();
    }
  });
});
