import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { PartitionedEvents1764800000800 } from './1764800000800-partitioned-events';
import { WEBHOOK_DOMAIN_MIGRATIONS } from './index';

const BEFORE = WEBHOOK_DOMAIN_MIGRATIONS.slice(
  0,
  WEBHOOK_DOMAIN_MIGRATIONS.indexOf(PartitionedEvents1764800000800),
);
const DAY_MS = 86_400_000;

/** UTC day of a Unix ms, as YYYYMMDD (a partition's suffix). */
const daySuffix = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');

/**
 * The PartitionedEvents migration on rows written before it: events move into day partitions (or the
 * default one) with their ids, lane items get their events' keys and sizes, the dedupe key holds the
 * timestamp; down puts a plain table back, and up works again.
 */
describe('migration: partitioned events', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  const webhookId = randomUUID();
  const now = Date.now();
  // Two recent days (as received), one timestamp from long ago and one far ahead: the last two have
  // no day partition.
  const stamps = {
    twoDaysAgo: now - 2 * DAY_MS,
    yesterday: now - DAY_MS,
    ancient: 978_307_200_000,
    ahead: now + 400 * DAY_MS,
  };
  const pks: Record<keyof typeof stamps, number> = { twoDaysAgo: 0, yesterday: 0, ancient: 0, ahead: 0 };
  let lastIdBefore = 0;

  const one = async <T>(sql: string, params: unknown[] = []) => (await dataSource.query<T[]>(sql, params))[0];
  const partitionOf = async (pk: number) =>
    (await one<{ part: string }>(`SELECT tableoid::regclass::text AS part FROM events WHERE id = $1`, [pk]))
      ?.part;

  beforeAll(async () => {
    database = await createTestDatabase('partitioned_events');
    const before = await new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: BEFORE as never,
      migrationsTableName: 'schema_migrations',
    }).initialize();
    await before.runMigrations();
    await before.query(
      `INSERT INTO webhooks (id, account_id, name, target_url, auth_type, events, status)
       VALUES ($1, 7, 'events', 'https://93.184.215.14/', 'NONE', '{COURSE_ENROLLMENT}', 'ACTIVE')`,
      [webhookId],
    );
    for (const [name, occurredAt] of Object.entries(stamps) as Array<[keyof typeof stamps, number]>) {
      const [row] = await before.query<Array<{ id: string }>>(
        `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data, data_bytes, received_at)
         VALUES (7, $1, 'COURSE_ENROLLMENT', true, $2, '{"n": 1}', 8, now() - interval '3 days') RETURNING id`,
        [`evt-${name}`, occurredAt],
      );
      pks[name] = Number(row.id);
    }
    lastIdBefore = Math.max(...Object.values(pks));
    // Lane items as the lane protocol left them: one from before the byte cap (no size).
    await before.query(
      `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, body_bytes)
       SELECT $1, 'REALTIME', t.pk, 7, CASE WHEN t.ord = 1 THEN NULL ELSE 300 END
         FROM unnest($2::bigint[]) WITH ORDINALITY AS t(pk, ord) ORDER BY t.ord`,
      [webhookId, [pks.twoDaysAgo, pks.yesterday, pks.ancient]],
    );
    await before.destroy();
    dataSource = await new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: WEBHOOK_DOMAIN_MIGRATIONS as never,
      migrationsTableName: 'schema_migrations',
    }).initialize();
    await dataSource.runMigrations();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('moves every event with its id into its day’s partition, or the default one for days without', async () => {
    expect(
      (await one<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE relname = 'events'`)).relkind,
    ).toBe('p');
    expect(await partitionOf(pks.twoDaysAgo)).toBe(`events_p${daySuffix(stamps.twoDaysAgo)}`);
    expect(await partitionOf(pks.yesterday)).toBe(`events_p${daySuffix(stamps.yesterday)}`);
    expect(await partitionOf(pks.ancient)).toBe('events_default');
    expect(await partitionOf(pks.ahead)).toBe('events_default');
    const days = await dataSource.query<Array<{ day: string }>>(
      `SELECT to_char(d, 'YYYYMMDD') AS day FROM event_partition_days() d`,
    );
    // The two days with events, today and tomorrow.
    expect(days.map((row) => row.day)).toEqual([
      daySuffix(stamps.twoDaysAgo),
      daySuffix(stamps.yesterday),
      daySuffix(now),
      daySuffix(now + DAY_MS),
    ]);
  });

  it('gives each lane item its event’s timestamp, and a size to the item that had none', async () => {
    const items = await dataSource.query<
      Array<{ event_pk: string; event_occurred_at: string; body_bytes: number }>
    >(`SELECT event_pk, event_occurred_at, body_bytes FROM lane_items WHERE webhook_id = $1 ORDER BY id`, [
      webhookId,
    ]);
    expect(items.map((item) => [Number(item.event_pk), Number(item.event_occurred_at)])).toEqual([
      [pks.twoDaysAgo, stamps.twoDaysAgo],
      [pks.yesterday, stamps.yesterday],
      [pks.ancient, stamps.ancient],
    ]);
    // Measured as lane_event_body_bytes does at ingestion: envelope fields plus the 8 bytes of data.
    expect(items[0].body_bytes).toBeGreaterThan(8);
    expect(items[0].body_bytes).toBeLessThan(300);
    await expect(
      dataSource.query(
        `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, body_bytes) VALUES ($1, 'REALTIME', $2, 7, 10)`,
        [webhookId, pks.ahead],
      ),
    ).rejects.toThrow(/event_occurred_at/);
  });

  it('dedupes on account, event id and timestamp; ids continue after the old ones', async () => {
    const insert = (eventId: string, occurredAt: number) =>
      dataSource.query<Array<{ id: string }>>(
        `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
         VALUES (7, $1, 'COURSE_ENROLLMENT', true, $2, '{}')
         ON CONFLICT (account_id, event_id, occurred_at) DO NOTHING RETURNING id`,
        [eventId, occurredAt],
      );
    expect(await insert('evt-yesterday', stamps.yesterday)).toEqual([]);
    const [other] = await insert('evt-yesterday', stamps.yesterday + 1);
    expect(Number(other.id)).toBeGreaterThan(lastIdBefore);
  });

  it('down puts a plain table back with every event and its id, and up partitions it again', async () => {
    const count = async () => Number((await one<{ n: string }>(`SELECT count(*) AS n FROM events`)).n);
    const before = await count();
    await dataSource.undoLastMigration();
    expect(
      (await one<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE relname = 'events'`)).relkind,
    ).toBe('r');
    // The two events that differ only by timestamp are one event here: the first stays.
    expect(await count()).toBe(before - 1);
    expect(await partitionOf(pks.ancient)).toBe('events');
    const [fresh] = await dataSource.query<Array<{ id: string }>>(
      `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
       VALUES (7, 'after-down', 'COURSE_ENROLLMENT', true, 1, '{}') RETURNING id`,
    );
    expect(Number(fresh.id)).toBeGreaterThan(lastIdBefore + 1);
    expect(
      await dataSource.query(
        `SELECT 1 FROM information_schema.columns WHERE table_name = 'lane_items' AND column_name = 'event_occurred_at'`,
      ),
    ).toEqual([]);

    await dataSource.runMigrations();
    expect(
      (await one<{ relkind: string }>(`SELECT relkind FROM pg_class WHERE relname = 'events'`)).relkind,
    ).toBe('p');
    expect(await count()).toBe(before);
    expect(await partitionOf(pks.yesterday)).toBe(`events_p${daySuffix(stamps.yesterday)}`);
  });
});
