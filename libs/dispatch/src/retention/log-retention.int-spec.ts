import { randomUUID } from 'node:crypto';
import { createTestDatabase, insertDeliveredItems, type TestDatabase } from '@lms/testing';
import { ADVISORY_LOCK, WEBHOOK_DOMAIN_MIGRATIONS } from '@lms/webhook-domain';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LOG_PARTITION_DAYS_AHEAD, LogRetention } from './log-retention';

const RETENTION_DAYS = 7;

/** UTC day `offset` days from today, as YYYY-MM-DD. */
function utcDay(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

const partitionName = (table: string, day: string) => `${table}_p${day.replaceAll('-', '')}`;

/** The first Unix ms of UTC day `day` (YYYY-MM-DD): where its events partition starts. */
const dayStartMs = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** The retention scheduler on the real schema: partitions ahead, whole days dropped, what must stay stays. */
describe('LogRetention (partitioned delivery log)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let retention: LogRetention;
  const accountId = 7;
  const webhookId = randomUUID();
  const otherWebhookId = randomUUID();
  let sql: Client;

  const exists = async (relation: string) =>
    (await dataSource.query<Array<{ r: string | null }>>(`SELECT to_regclass($1)::text AS r`, [relation]))[0]
      .r !== null;
  const ids = async (sql: string, params: unknown[] = []) =>
    (await dataSource.query<Array<{ id: string }>>(sql, params)).map((row) => String(row.id)).sort();

  /** An event received `ageDays` ago; its timestamp (partition key) is 0 unless given: the default partition. */
  const insertEvent = async (eventId: string, ageDays: number, occurredAt = 0): Promise<string> => {
    const [row] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data, received_at)
       VALUES ($1, $2, 'COURSE_ENROLLMENT', true, $4, '{}', now() - make_interval(days => $3)) RETURNING id`,
      [accountId, eventId, ageDays, occurredAt],
    );
    return String(row.id);
  };
  const partitionOf = async (table: string, id: string) =>
    (
      await dataSource.query<Array<{ part: string }>>(
        `SELECT tableoid::regclass::text AS part FROM ${table} WHERE id = $1`,
        [id],
      )
    )[0]?.part;
  /**
   * A delivery of one event, made `ageDays` ago (its id says when, as the lane step makes it), with one
   * attempt; its event is its range of one consumed lane item (lane protocol v3).
   */
  const insertDelivery = async (
    eventPk: string,
    status: string,
    ageDays: number,
    id?: string,
    hook = webhookId,
  ): Promise<string> => {
    const [row] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, created_at)
       VALUES (coalesce($5::uuid, uuidv7_at(now() - make_interval(days => $4))), $1, $2, 'REALTIME', $3,
               now() - make_interval(days => $4))
       RETURNING id`,
      [hook, accountId, status, ageDays, id ?? null],
    );
    await insertDeliveredItems(sql, {
      deliveryId: row.id,
      webhookId: hook,
      accountId,
      kind: 'REALTIME',
      eventPks: [Number(eventPk)],
      ageDays,
    });
    await dataSource.query(
      `INSERT INTO delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code)
       VALUES ($1, 1, now(), 3, 500)`,
      [row.id],
    );
    return row.id;
  };

  beforeAll(async () => {
    database = await createTestDatabase('log_retention');
    dataSource = await new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: WEBHOOK_DOMAIN_MIGRATIONS,
      migrationsTableName: 'schema_migrations',
    }).initialize();
    await dataSource.runMigrations();
    await dataSource.query(
      `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status)
       VALUES ($1, $2, 'retention', 'https://93.184.215.14/', 'NONE', '{COURSE_ENROLLMENT}', 'ACTIVE')`,
      [webhookId, accountId],
    );
    await dataSource.query(
      `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status)
       VALUES ($1, $2, 'retention 2', 'https://93.184.215.14/', 'NONE', '{COURSE_ENROLLMENT}', 'ACTIVE')`,
      [otherWebhookId, accountId],
    );
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    retention = new LogRetention(dataSource, new SchedulerRegistry(), {
      retentionDays: RETENTION_DAYS,
      retentionCron: '17 * * * *',
    });
  });
  afterAll(async () => {
    await sql?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  it('creates the partitions of the days ahead that are missing', async () => {
    const last = utcDay(LOG_PARTITION_DAYS_AHEAD);
    await dataSource.query(`SELECT log_partitions_drop($1::date)`, [last]);
    expect(await exists(partitionName('deliveries', last))).toBe(false);

    const result = await retention.runOnce();

    expect(result?.partitionsCreated).toEqual([last]);
    for (const table of ['deliveries', 'delivery_attempts']) {
      expect(await exists(partitionName(table, last))).toBe(true);
    }
    expect((await retention.runOnce())?.partitionsCreated).toEqual([]);
  });

  it('drops a day older than the retention whole, keeping open deliveries with their events, recent rows and lane events', async () => {
    const oldDay = utcDay(-10);
    await dataSource.query(`SELECT log_partitions_create($1::date)`, [oldDay]);
    const delivered = await insertEvent('old-delivered', 10);
    const deliveredDelivery = await insertDelivery(delivered, 'SUCCEEDED', 10);
    const retried = await insertEvent('old-retrying', 10);
    const retryingDelivery = await insertDelivery(retried, 'RETRYING', 10);
    const waiting = await insertEvent('old-waiting-in-batch', 10);
    await dataSource.query(
      `INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, body_bytes, created_at)
       VALUES ($1, 'BATCH', $2, 0, $3, 200, now() - interval '10 days')`,
      [webhookId, waiting, accountId],
    );
    const recent = await insertEvent('recent', 1);
    const recentDelivery = await insertDelivery(recent, 'SUCCEEDED', 1);
    expect(
      (
        await dataSource.query<Array<{ part: string }>>(
          `SELECT tableoid::regclass::text AS part FROM deliveries WHERE id = $1`,
          [deliveredDelivery],
        )
      )[0].part,
    ).toBe(partitionName('deliveries', oldDay));

    const result = await retention.runOnce();

    // The old delivery's lane item goes (behind the cursor, in no remaining request), then its event.
    expect(result).toMatchObject({ partitionsDropped: [oldDay], openRowsKept: 2, laneItems: 1, events: 1 });
    for (const table of ['deliveries', 'delivery_attempts']) {
      expect(await exists(partitionName(table, oldDay))).toBe(false);
    }
    expect(await ids(`SELECT id FROM deliveries WHERE webhook_id = $1`, [webhookId])).toEqual(
      [retryingDelivery, recentDelivery].sort(),
    );
    // The open delivery lives on in the default partition, with its attempt and its events.
    expect(
      await ids(`SELECT delivery_id AS id FROM delivery_attempts_default WHERE delivery_id = ANY($1)`, [
        [retryingDelivery, deliveredDelivery],
      ]),
    ).toEqual([retryingDelivery]);
    expect(
      await ids(`SELECT event_pk AS id FROM delivery_events WHERE delivery_id = $1`, [retryingDelivery]),
    ).toEqual([retried]);
    expect(await ids(`SELECT id FROM events WHERE account_id = $1`, [accountId])).toEqual(
      [retried, waiting, recent].sort(),
    );
    expect(await ids(`SELECT id FROM events WHERE id = $1`, [delivered])).toEqual([]);
    expect(await ids(`SELECT event_pk AS id FROM lane_items WHERE webhook_id = $1`, [webhookId])).toEqual(
      [retried, waiting, recent].sort(),
    );
  });

  it('deletes old closed rows of the default partition (ids from before the partitioned log) row by row', async () => {
    const legacyEvent = await insertEvent('legacy', 30);
    // In a lane of its own: the retrying delivery above holds back its own lane's later items.
    const legacy = await insertDelivery(legacyEvent, 'DEAD', 30, randomUUID(), otherWebhookId);
    const retryingKept = await ids(`SELECT id FROM deliveries_default`);
    expect(retryingKept).toContain(legacy);

    const result = await retention.runOnce();

    expect(result).toMatchObject({ deliveries: 1, laneItems: 1, events: 1, partitionsDropped: [] });
    expect(await ids(`SELECT id FROM deliveries_default`)).toEqual(
      retryingKept.filter((id) => id !== legacy),
    );
    expect(
      await ids(`SELECT delivery_id AS id FROM delivery_attempts WHERE delivery_id = $1`, [legacy]),
    ).toEqual([]);
  });

  it('deletes more rows than one chunk in one run, chunk after chunk', async () => {
    await dataSource.query(
      `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data, received_at)
       SELECT $1, 'bulk-' || g, 'COURSE_ENROLLMENT', true, 0, '{}', now() - interval '20 days'
         FROM generate_series(1, 12001) g`,
      [accountId],
    );

    const result = await retention.runOnce();

    expect(result?.events).toBe(12001);
    expect(await ids(`SELECT id FROM events WHERE event_id LIKE 'bulk-%'`)).toEqual([]);
  });

  it('moves rows the default partition holds in a new day’s range into that day’s partitions', async () => {
    const day = utcDay(LOG_PARTITION_DAYS_AHEAD + 2);
    // A random id that happens to fall in that day (one in a few million v4 ids does).
    const [{ id: stray }] = await dataSource.query<Array<{ id: string }>>(
      `SELECT overlay(uuidv7_floor($1::date + interval '1 hour')::text PLACING '4' FROM 15 FOR 1)::uuid AS id`,
      [day],
    );
    const event = await insertEvent('stray', 0);
    await insertDelivery(event, 'SUCCEEDED', 0, stray);
    expect(await ids(`SELECT id FROM deliveries_default WHERE id = $1`, [stray])).toEqual([stray]);

    await dataSource.query(`SELECT log_partitions_create($1::date)`, [day]);

    expect(await ids(`SELECT id FROM ${partitionName('deliveries', day)}`)).toEqual([stray]);
    expect(await ids(`SELECT delivery_id AS id FROM ${partitionName('delivery_attempts', day)}`)).toEqual([
      stray,
    ]);
    expect(await ids(`SELECT event_pk AS id FROM delivery_events WHERE delivery_id = $1`, [stray])).toEqual([
      event,
    ]);
  });

  it('creates the events partitions of the days ahead, moving in the events the default partition holds for them', async () => {
    const tomorrow = utcDay(LOG_PARTITION_DAYS_AHEAD);
    await dataSource.query(`SELECT event_partitions_drop($1::date)`, [tomorrow]);
    // A producer whose clock runs ahead: tomorrow's event, while tomorrow has no partition.
    const early = await insertEvent('clock-ahead', 0, dayStartMs(tomorrow) + 60_000);
    expect(await partitionOf('events', early)).toBe('events_default');

    const result = await retention.runOnce();

    expect(result?.partitionsCreated).toEqual([tomorrow]);
    expect(await partitionOf('events', early)).toBe(partitionName('events', tomorrow));
  });

  it('drops an events day older than the retention whole, keeping the events lane items still name', async () => {
    const oldDay = utcDay(-9);
    await dataSource.query(`SELECT event_partitions_create($1::date), log_partitions_create($1::date)`, [
      oldDay,
    ]);
    const hook = randomUUID();
    await dataSource.query(
      `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status)
       VALUES ($1, $2, 'retention 3', 'https://93.184.215.14/', 'NONE', '{COURSE_ENROLLMENT}', 'ACTIVE')`,
      [hook, accountId],
    );
    const at = dayStartMs(oldDay) + 3_600_000;
    // Sent 9 days ago: its request and lane item expire, and so does the event.
    const sent = await insertEvent('day-sent', 9, at);
    await insertDelivery(sent, 'SUCCEEDED', 9, undefined, hook);
    // Replayed yesterday: the delivery log still shows it.
    const replayed = await insertEvent('day-replayed', 9, at + 1);
    const replay = await insertDelivery(replayed, 'SUCCEEDED', 1, undefined, hook);
    // Still waiting for its BATCH release.
    const waiting = await insertEvent('day-waiting', 9, at + 2);
    await dataSource.query(
      `INSERT INTO lane_items (webhook_id, kind, event_pk, event_occurred_at, account_id, body_bytes, created_at)
       VALUES ($1, 'BATCH', $2, $3, $4, 200, now() - interval '9 days')`,
      [hook, waiting, at + 2, accountId],
    );
    expect(await partitionOf('events', sent)).toBe(partitionName('events', oldDay));

    const result = await retention.runOnce();

    expect(result).toMatchObject({ eventPartitionsDropped: [oldDay], eventsKept: 2 });
    expect(await exists(partitionName('events', oldDay))).toBe(false);
    expect(await ids(`SELECT id FROM events WHERE id = ANY($1)`, [[sent, replayed, waiting]])).toEqual(
      [replayed, waiting].sort(),
    );
    expect(await partitionOf('events', replayed)).toBe('events_default');
    // Found from the request's items by the events' whole key, as the delivery log reads them.
    expect(
      await ids(
        `SELECT e.id FROM delivery_events de
           JOIN events e ON e.id = de.event_pk AND e.occurred_at = de.event_occurred_at
          WHERE de.delivery_id = $1`,
        [replay],
      ),
    ).toEqual([replayed]);
  });

  it('leaves an events day it cannot lock within a second (ingestion writing) to the next run', async () => {
    const oldDay = utcDay(-11);
    await dataSource.query(`SELECT event_partitions_create($1::date)`, [oldDay]);
    await insertEvent('busy-events-day', 11, dayStartMs(oldDay));
    const writer = dataSource.createQueryRunner();
    await writer.connect();
    try {
      await writer.startTransaction();
      await writer.query(`SELECT count(*) FROM events`);
      const busy = await retention.runOnce();
      expect(busy).toMatchObject({ eventPartitionsDropped: [], partitionsDeferred: [oldDay] });
      await writer.commitTransaction();
    } finally {
      await writer.release();
    }
    expect(await exists(partitionName('events', oldDay))).toBe(true);

    expect((await retention.runOnce())?.eventPartitionsDropped).toEqual([oldDay]);
    expect(await exists(partitionName('events', oldDay))).toBe(false);
  });

  it('leaves a day whose tables it cannot lock within a second to the next run, and drops it then', async () => {
    const oldDay = utcDay(-12);
    await dataSource.query(`SELECT log_partitions_create($1::date)`, [oldDay]);
    const event = await insertEvent('busy-day', 12);
    const delivery = await insertDelivery(event, 'SUCCEEDED', 12);
    // A dispatcher's transaction writing the log (its outcome statement) holds the tables meanwhile.
    const writer = dataSource.createQueryRunner();
    await writer.connect();
    try {
      await writer.startTransaction();
      await writer.query(`UPDATE deliveries SET updated_at = now() WHERE id = $1`, [delivery]);
      const busy = await retention.runOnce();
      expect(busy).toMatchObject({ partitionsDropped: [], partitionsDeferred: [oldDay] });
      await writer.commitTransaction();
    } finally {
      await writer.release();
    }
    expect(await exists(partitionName('deliveries', oldDay))).toBe(true);

    expect((await retention.runOnce())?.partitionsDropped).toEqual([oldDay]);
    expect(await exists(partitionName('deliveries', oldDay))).toBe(false);
  });

  it('does nothing while another replica holds the retention lock', async () => {
    const holder = dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK.RETENTION_PURGE]);
      expect(await retention.runOnce()).toBeNull();
      await holder.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCK.RETENTION_PURGE]);
    } finally {
      await holder.release();
    }
    expect(await retention.runOnce()).not.toBeNull();
  });
});
