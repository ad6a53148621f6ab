import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  openMigratedDataSource,
  insertWebhookRow,
  type TestDatabase,
} from '@lms/testing';
import { Client, type Notification } from 'pg';
import { DataSource } from 'typeorm';
import { LANE_WAKE_CHANNEL, LaneAppendRepository, type IngestedEvent } from './lane-append.repository';
import type { LaneKey } from './lane-key';
import { LaneRepository, type DeliveryOutcome } from './lane.repository';

const ACCOUNT = 5151;
const MAX_EVENTS = 100;
const MAX_BYTES = 4 * 1024 * 1024;

/**
 * The lane protocol (lanes/sql/lane-protocol-v2.sql and -v3.sql) called directly against the real Postgres:
 * the claim returns what it created with the events to send, and one call records an outcome and
 * claims the lane's next request.
 */
describe('lane protocol v2/v3: claim, and record-and-claim in one round trip', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let lanes: LaneRepository;
  let appends: LaneAppendRepository;
  let sequence = 0;

  beforeAll(async () => {
    database = await createTestDatabase('lane_protocol_v2');
    dataSource = await openMigratedDataSource(database);
    lanes = new LaneRepository(dataSource);
    appends = new LaneAppendRepository(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function webhook(
    options: { maxInFlight?: number; maxEventsPerRequest?: number } = {},
  ): Promise<LaneKey> {
    const id = randomUUID();
    await insertWebhookRow(dataSource, {
      id,
      accountId: ACCOUNT,
      name: `protocol ${id}`,
      targetUrl: 'http://127.0.0.1:9/hooks',
      events: ['COURSE_COMPLETED'],
      status: 'ACTIVE',
      maxInFlight: options.maxInFlight ?? 1,
      maxEventsPerRequest: options.maxEventsPerRequest ?? MAX_EVENTS,
    });
    return { webhookId: id, kind: 'REALTIME' };
  }

  function lmsEvent(dataJson = `{"n": ${sequence}}`): IngestedEvent {
    sequence += 1;
    return {
      accountId: ACCOUNT,
      eventId: `evt-${sequence}-${randomUUID()}`,
      eventName: 'COURSE_COMPLETED',
      realtime: true,
      occurredAt: 1_764_700_000_000 + sequence,
      eventInfo: `info ${sequence}`,
      dataJson,
      sourcePartition: 0,
      sourceOffset: String(sequence),
    };
  }

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

  function outcome(
    deliveryId: string,
    lane: LaneKey,
    status: DeliveryOutcome['status'],
    snippet = 'ok',
  ): DeliveryOutcome {
    return {
      deliveryId,
      webhookId: lane.webhookId,
      status,
      attempt: {
        startedAt: new Date(),
        durationMs: 12,
        statusCode: status === 'SUCCEEDED' ? 200 : 503,
        error: status === 'SUCCEEDED' ? null : 'HTTP 503',
        responseSnippet: snippet,
      },
      nextAttemptAt: status === 'RETRYING' ? new Date(Date.now() + 60_000) : undefined,
    };
  }

  async function activations(lane: LaneKey): Promise<number> {
    const [row] = await dataSource.query<Array<{ n: string }>>(
      `SELECT activations::text AS n FROM lanes WHERE webhook_id = $1 AND kind = $2`,
      [lane.webhookId, lane.kind],
    );
    return Number(row.n);
  }

  async function laneRow(lane: LaneKey): Promise<{ busy: boolean; claimedUpto: number }> {
    const [row] = await dataSource.query<Array<{ busy: boolean; claimedUpto: number }>>(
      `SELECT busy, claimed_upto::int AS "claimedUpto" FROM lanes WHERE webhook_id = $1 AND kind = $2`,
      [lane.webhookId, lane.kind],
    );
    return row;
  }

  it('claims a woken lane with its events, data exactly as stored (spacing, number forms, key order)', async () => {
    const lane = await webhook();
    const verbatim = '{"b": 1.50,  "a":[1e3, -0.0], "unicode":"\\u00e9"}';
    const events = [lmsEvent(verbatim), lmsEvent()];
    await ingest(lane, events);

    const [request, ...others] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);

    expect(others).toEqual([]);
    expect(request).toMatchObject({
      webhookId: lane.webhookId,
      kind: 'REALTIME',
      accountId: ACCOUNT,
      attemptCount: 0,
    });
    expect(request.events.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
    expect(request.events[0]).toEqual({
      eventId: events[0].eventId,
      eventName: 'COURSE_COMPLETED',
      timestamp: events[0].occurredAt,
      eventInfo: events[0].eventInfo,
      dataJson: verbatim,
    });
    // The lane is blocked by its open request: a second claim creates nothing.
    expect(await lanes.claim([lane], MAX_EVENTS, MAX_BYTES)).toEqual([]);
  });

  it('records a success and claims the next request in the same call; the lane row only moves its cursor', async () => {
    const lane = await webhook({ maxEventsPerRequest: 2 });
    const events = [lmsEvent(), lmsEvent(), lmsEvent(), lmsEvent(), lmsEvent()];
    await ingest(lane, events);
    const [first] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);
    const before = await laneRow(lane);

    const second = await lanes.recordAndClaim(
      [outcome(first.deliveryId, lane, 'SUCCEEDED')],
      MAX_EVENTS,
      MAX_BYTES,
    );

    expect(second.written).toEqual([{ status: 'SUCCEEDED', attemptNumber: 1 }]);
    expect(second.claimed).toHaveLength(1);
    expect(second.claimed[0].events.map((event) => event.eventId)).toEqual([
      events[2].eventId,
      events[3].eventId,
    ]);
    // The cursor sits on the last item the lane's requests took; the requests name their items.
    const during = await laneRow(lane);
    expect(during.busy).toBe(true);
    expect(during.claimedUpto).toBeGreaterThan(before.claimedUpto);
    const [range] = await dataSource.query<Array<{ first: number; last: number; items: number[] }>>(
      `SELECT d.first_item_id::int AS first, d.last_item_id::int AS last,
              ARRAY(SELECT li.id::int FROM lane_items li WHERE li.webhook_id = d.webhook_id AND li.kind = d.kind
                     ORDER BY li.id) AS items
         FROM deliveries d WHERE d.id = $1`,
      [second.claimed[0].deliveryId],
    );
    expect([range.first, range.last]).toEqual([range.items[2], range.items[3]]);
    expect(during.claimedUpto).toBe(range.last);
    // Its writes are HOT (updated in place, no index entries): no index of lanes covers what the step writes.
    const indexed = await dataSource.query<Array<{ column: string }>>(
      `SELECT a.attname AS column FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'lanes'::regclass`,
    );
    expect(indexed.map((row) => row.column).sort()).toEqual(['kind', 'webhook_id']);

    const third = await lanes.recordAndClaim(
      [outcome(second.claimed[0].deliveryId, lane, 'DEAD')],
      MAX_EVENTS,
      MAX_BYTES,
    );
    expect(third.written).toEqual([{ status: 'DEAD', attemptNumber: 1 }]);
    expect(third.claimed.map((request) => request.events.map((event) => event.eventId))).toEqual([
      [events[4].eventId],
    ]);

    // The last request finishes: nothing to claim, and the lane goes idle (its one write).
    const last = await lanes.recordAndClaim(
      [outcome(third.claimed[0].deliveryId, lane, 'SUCCEEDED')],
      MAX_EVENTS,
      MAX_BYTES,
    );
    expect(last.claimed).toEqual([]);
    expect((await laneRow(lane)).busy).toBe(false);
    const attempts = await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1`,
      [lane.webhookId],
    );
    expect(attempts[0].n).toBe(3);
  });

  it('a RETRYING request keeps its lane blocked: nothing is claimed behind it', async () => {
    const lane = await webhook();
    await ingest(lane, [lmsEvent()]);
    const [first] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);
    await ingest(lane, [lmsEvent(), lmsEvent()]);

    const retried = await lanes.recordAndClaim(
      [outcome(first.deliveryId, lane, 'RETRYING')],
      MAX_EVENTS,
      MAX_BYTES,
    );

    expect(retried.written).toEqual([{ status: 'RETRYING', attemptNumber: 1 }]);
    expect(retried.claimed).toEqual([]);
    expect(await lanes.claim([lane], MAX_EVENTS, MAX_BYTES)).toEqual([]);
  });

  it('maxInFlight 2: two requests at once, and each finished one claims one more', async () => {
    const lane = await webhook({ maxInFlight: 2, maxEventsPerRequest: 1 });
    const events = [lmsEvent(), lmsEvent(), lmsEvent(), lmsEvent()];
    await ingest(lane, events);

    const claimed = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);
    expect(claimed.map((request) => request.events[0].eventId)).toEqual([
      events[0].eventId,
      events[1].eventId,
    ]);

    const next = await lanes.recordAndClaim(
      [outcome(claimed[1].deliveryId, lane, 'SUCCEEDED')],
      MAX_EVENTS,
      MAX_BYTES,
    );
    expect(next.claimed.map((request) => request.events[0].eventId)).toEqual([events[2].eventId]);
  });

  it('claims nothing for a webhook that is no longer active, and lets its lane go idle', async () => {
    const lane = await webhook();
    await ingest(lane, [lmsEvent()]);
    await dataSource.query(`UPDATE webhooks SET status = 'DISABLED' WHERE id = $1`, [lane.webhookId]);

    expect(await lanes.claim([lane], MAX_EVENTS, MAX_BYTES)).toEqual([]);
    expect((await laneRow(lane)).busy).toBe(false);
  });

  it('a redelivery goes alone: new events wait for the next request', async () => {
    const lane = await webhook();
    const events = [lmsEvent(), lmsEvent()];
    await ingest(lane, events);
    const [original] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);
    const pks = await dataSource.query<Array<{ id: string }>>(
      `SELECT e.id FROM delivery_events de JOIN events e ON e.id = de.event_pk WHERE de.delivery_id = $1 ORDER BY de.position`,
      [original.deliveryId],
    );
    await lanes.recordAndClaim([outcome(original.deliveryId, lane, 'DEAD')], MAX_EVENTS, MAX_BYTES);
    const fresh = lmsEvent();
    await dataSource.transaction(async (manager) => {
      await appends.append(
        manager,
        lane,
        pks.map((row) => Number(row.id)),
        {
          releaseNow: true,
          redeliveryOf: original.deliveryId,
        },
      );
    });
    await ingest(lane, [fresh]);

    const [redelivery] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);
    expect(redelivery.events.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
    const after = await lanes.recordAndClaim(
      [outcome(redelivery.deliveryId, lane, 'SUCCEEDED')],
      MAX_EVENTS,
      MAX_BYTES,
    );
    expect(after.claimed.map((request) => request.events.map((event) => event.eventId))).toEqual([
      [fresh.eventId],
    ]);
  });

  it('an outcome Postgres refuses (a NUL in the snippet) is still written, and the lane still moves on', async () => {
    const lane = await webhook({ maxEventsPerRequest: 1 });
    const events = [lmsEvent(), lmsEvent()];
    await ingest(lane, events);
    const [first] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES);

    const result = await lanes.recordAndClaim(
      [outcome(first.deliveryId, lane, 'SUCCEEDED', 'bad\u0000answer')],
      MAX_EVENTS,
      MAX_BYTES,
    );

    expect(result.written).toEqual([{ status: 'SUCCEEDED', attemptNumber: 1 }]);
    expect(result.claimed.map((request) => request.events[0].eventId)).toEqual([events[1].eventId]);
  });

  it('announces a lane it woke on the wake-up channel once its transaction commits, and only then', async () => {
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (message: Notification) => heard.push(message.payload ?? ''));
    listener.on('error', () => undefined);
    await listener.query(`LISTEN ${LANE_WAKE_CHANNEL}`);
    try {
      const lane = await webhook();
      const before = Date.now();
      await ingest(lane, [lmsEvent()]);
      await waitUntil(() => heard.length > 0);
      const [webhookId, kind, announcedAt] = heard[0].split(':');
      expect([webhookId, kind]).toEqual([lane.webhookId, 'REALTIME']);
      expect(Number(announcedAt)).toBeGreaterThanOrEqual(before - 1_000);

      // A busy lane is announced again (its driver may have found it empty just before this commit)
      // but not woken again: same activation.
      const activationsBefore = await activations(lane);
      await ingest(lane, [lmsEvent()]);
      await waitUntil(() => heard.length > 1);
      expect(heard[1].split(':').slice(0, 2)).toEqual([lane.webhookId, 'REALTIME']);
      expect(await activations(lane)).toBe(activationsBefore);
      // A rolled-back append announces nothing.
      const other = await webhook();
      await dataSource
        .transaction(async (manager) => {
          const [row] = await manager.query<Array<{ id: string }>>(`SELECT id FROM events LIMIT 1`);
          await appends.append(manager, other, [Number(row.id)], { releaseNow: true });
          throw new Error('roll back');
        })
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(heard).toHaveLength(2);
    } finally {
      await listener.end();
    }
  });

  it('a claim in progress holds an adder back until it commits, and the adder’s items land past the cursor', async () => {
    const lane = await webhook();
    const first = lmsEvent();
    await ingest(lane, [first]); // the lane is busy now
    const driver = new Client({ connectionString: database.url });
    await driver.connect();
    try {
      await driver.query('BEGIN');
      const claimed = await driver.query<{ event_id: string }>(
        `SELECT event_id FROM lane_claim(ARRAY[$1::uuid], ARRAY['REALTIME'], $2, $3, NULL)`,
        [lane.webhookId, MAX_EVENTS, MAX_BYTES],
      );
      expect(claimed.rows.map((row) => row.event_id)).toEqual([first.eventId]);
      const later = [lmsEvent(), lmsEvent()];
      let stored = false;
      const ingesting = ingest(lane, later).then(() => (stored = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(stored).toBe(false); // waiting for the claim's lane lock
      await driver.query('COMMIT');
      await ingesting;

      // The claim's request is still open (max in flight 1): finish it, and the next claim takes both.
      const [request] = await dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM deliveries WHERE webhook_id = $1`,
        [lane.webhookId],
      );
      const next = await lanes.recordAndClaim(
        [outcome(request.id, lane, 'SUCCEEDED')],
        MAX_EVENTS,
        MAX_BYTES,
      );
      expect(next.claimed.map((r) => r.events.map((event) => event.eventId))).toEqual([
        later.map((event) => event.eventId),
      ]);
    } finally {
      await driver.end();
    }
  });

  it('an adder that has not committed holds the claim back: its item is never left behind the cursor', async () => {
    const lane = await webhook();
    const events = [lmsEvent()];
    await ingest(lane, events);
    const [eventPk] = await dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM events WHERE event_id = $1`,
      [events[0].eventId],
    );
    const adder = dataSource.createQueryRunner();
    await adder.connect();
    try {
      await adder.startTransaction();
      // A replay appends while the lane still holds the ingested item; it has its item id but has not committed.
      await appends.append(adder.manager, lane, [Number(eventPk.id)], { releaseNow: true });
      let claimedAt = 0;
      const claiming = lanes.claim([lane], MAX_EVENTS, MAX_BYTES).then((requests) => {
        claimedAt = Date.now();
        return requests;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(claimedAt).toBe(0); // the claim waits for the adder's lane lock
      const committedAt = Date.now();
      await adder.commitTransaction();
      const requests = await claiming;
      expect(claimedAt).toBeGreaterThanOrEqual(committedAt);
      // The claim saw the adder's item: one request carries the ingested item and the replayed one, in lane order.
      expect(requests.map((request) => request.events.map((event) => event.eventId))).toEqual([
        [events[0].eventId, events[0].eventId],
      ]);
      const waiting = await dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM lane_waiting_items WHERE webhook_id = $1`,
        [lane.webhookId],
      );
      expect(waiting[0].n).toBe(0);
    } finally {
      await adder.release();
    }
  });

  it('an open request is orphaned only when no live dispatcher drives it (its driver lock is gone)', async () => {
    const lane = await webhook();
    await ingest(lane, [lmsEvent()]);
    const driver = new Client({ connectionString: database.url });
    await driver.connect();
    try {
      await driver.query('SELECT pg_advisory_lock(7171, 4242)');
      const [request] = await lanes.claim([lane], MAX_EVENTS, MAX_BYTES, 4242);
      // Driven from a live process's memory: nobody queues it again.
      expect(await lanes.orphanedOpenDeliveryIds(lane)).toEqual([]);
      expect(await lanes.pendingOfDeadDrivers(1_000)).not.toContain(request.deliveryId);
      expect(await lanes.liveDrivers()).toContain(4242);

      await driver.end(); // the process dies: its connection, and with it its lock, goes
      expect(await lanes.orphanedOpenDeliveryIds(lane)).toEqual([request.deliveryId]);
      expect(await lanes.pendingOfDeadDrivers(1_000)).toContain(request.deliveryId);
      // A dispatcher whose own connection is away never takes its own requests for a dead one's.
      expect(await lanes.pendingOfDeadDrivers(1_000, 4242)).not.toContain(request.deliveryId);
      expect(await lanes.liveDrivers()).not.toContain(4242);
    } finally {
      await driver.end().catch(() => undefined);
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
