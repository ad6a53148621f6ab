import { randomUUID } from 'node:crypto';
import { createTestDatabase, insertWebhookRow, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { LaneProtocolV31764800000000 } from './1764800000000-lane-protocol-v3';
import { WEBHOOK_DOMAIN_MIGRATIONS } from '.';

const ACCOUNT = 7373;

/**
 * Migration LaneProtocolV31764800000000 on a database that has v2 rows: delivered requests (with
 * delivery_events rows) and waiting items of both kinds, released or held. Up keeps every request's
 * events and every waiting item, in order; down gives the v2 tables back.
 */
describe('migration LaneProtocolV31764800000000', () => {
  let database: TestDatabase;
  let source: DataSource;

  const openSource = (migrations: unknown[]) =>
    new DataSource({
      type: 'postgres',
      url: database.url,
      migrations: migrations as never,
      migrationsTableName: 'schema_migrations',
    }).initialize();

  beforeAll(async () => {
    database = await createTestDatabase('lane_protocol_v3_migration');
    const upToV2 = await openSource(
      WEBHOOK_DOMAIN_MIGRATIONS.slice(0, WEBHOOK_DOMAIN_MIGRATIONS.indexOf(LaneProtocolV31764800000000)),
    );
    await upToV2.runMigrations();
    await upToV2.destroy();
    // Every migration known, the v3 one (and any later) still to run.
    source = await openSource(WEBHOOK_DOMAIN_MIGRATIONS);
  });

  afterAll(async () => {
    await source?.destroy();
    await database?.drop();
  });

  // Later migrations may follow v3: run and undo as many as it takes to be exactly at v3 / just before it.
  const v3Index = WEBHOOK_DOMAIN_MIGRATIONS.indexOf(LaneProtocolV31764800000000);
  const applied = async () =>
    (await source.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM schema_migrations`))[0].n;
  async function runUpToV3(): Promise<void> {
    await source.runMigrations();
    while ((await applied()) > v3Index + 1) await source.undoLastMigration();
  }
  async function undoDownToV2(): Promise<void> {
    while ((await applied()) > v3Index) await source.undoLastMigration();
  }

  it('moves v2 requests and waiting items onto the cursor and ranges, and back down', async () => {
    const webhookId = randomUUID();
    await insertWebhookRow(source, {
      id: webhookId,
      accountId: ACCOUNT,
      name: 'v3 migration',
      targetUrl: 'http://127.0.0.1:9/hooks',
      events: ['COURSE_COMPLETED'],
      status: 'ACTIVE',
    });
    const events = await source.query<Array<{ id: string }>>(
      `INSERT INTO events (account_id, event_id, event_name, realtime, occurred_at, data)
       SELECT $1, 'e' || g, 'COURSE_COMPLETED', true, g, json_build_object('n', g) FROM generate_series(1, 6) g
       RETURNING id`,
      [ACCOUNT],
    );
    const e = events.map((row) => Number(row.id)); // e[0] = e1 … e[5] = e6
    const delivered = randomUUID();
    const open = randomUUID();
    await source.query(
      `INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, created_at)
       VALUES ($1, $3, $4, 'REALTIME', 'SUCCEEDED', 2, now() - interval '1 minute'),
              ($2, $3, $4, 'REALTIME', 'PENDING', 1, now())`,
      [delivered, open, webhookId, ACCOUNT],
    );
    await source.query(
      `INSERT INTO delivery_events (delivery_id, position, event_pk) VALUES ($1, 0, $3), ($1, 1, $4), ($2, 0, $5)`,
      [delivered, open, e[0], e[1], e[2]],
    );
    // Waiting: REALTIME e4, e5; BATCH e6 (held), e5 (released at once: a redelivery), e4 (held).
    await source.query(
      `INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, released)
       VALUES ($1, 'REALTIME', $3, $2, true), ($1, 'BATCH', $5, $2, false), ($1, 'REALTIME', $4, $2, true),
              ($1, 'BATCH', $4, $2, true), ($1, 'BATCH', $3, $2, false)`,
      [webhookId, ACCOUNT, e[3], e[4], e[5]],
    );

    await runUpToV3();

    const requestEvents = async () =>
      (
        await source.query<Array<{ delivery_id: string; event_pks: string[] }>>(
          `SELECT delivery_id, array_agg(event_pk ORDER BY position)::text[] AS event_pks
             FROM delivery_events GROUP BY delivery_id`,
        )
      ).reduce<Record<string, number[]>>(
        (all, row) => ({ ...all, [row.delivery_id]: row.event_pks.map(Number) }),
        {},
      );
    expect(await requestEvents()).toEqual({ [delivered]: [e[0], e[1]], [open]: [e[2]] });
    const waiting = await source.query<Array<{ kind: string; event_pk: string; released: boolean }>>(
      `SELECT kind, event_pk, released FROM lane_waiting_items WHERE webhook_id = $1 ORDER BY kind, id`,
      [webhookId],
    );
    expect(waiting.map((row) => [row.kind, Number(row.event_pk), row.released])).toEqual([
      ['BATCH', e[5], true], // released: a lane goes out in order, so the later release takes it along
      ['BATCH', e[4], true],
      ['BATCH', e[3], false],
      ['REALTIME', e[3], true],
      ['REALTIME', e[4], true],
    ]);
    // The open request finishes; the lane's next request carries the waiting items, in order.
    await source.query(`UPDATE deliveries SET status = 'SUCCEEDED' WHERE id = $1`, [open]);
    const claimed = await source.query<Array<{ delivery_id: string; event_id: string }>>(
      `SELECT delivery_id, event_id FROM lane_claim(ARRAY[$1::uuid], ARRAY['REALTIME'], 100, NULL, NULL)`,
      [webhookId],
    );
    expect(claimed.map((row) => row.event_id)).toEqual(['e4', 'e5']);
    const next = claimed[0].delivery_id;

    await undoDownToV2();

    const tableKind = await source.query<Array<{ relkind: string }>>(
      `SELECT relkind FROM pg_class WHERE relname = 'delivery_events'`,
    );
    expect(tableKind).toEqual([{ relkind: 'r' }]);
    expect(await requestEvents()).toEqual({
      [delivered]: [e[0], e[1]],
      [open]: [e[2]],
      [next]: [e[3], e[4]],
    });
    const items = await source.query<Array<{ kind: string; event_pk: string; released: boolean }>>(
      `SELECT kind, event_pk, released FROM lane_items WHERE webhook_id = $1 ORDER BY id`,
      [webhookId],
    );
    expect(items.map((row) => [row.kind, Number(row.event_pk), row.released])).toEqual([
      ['BATCH', e[5], true],
      ['BATCH', e[4], true],
      ['BATCH', e[3], false],
    ]);

    await runUpToV3();
    expect(await requestEvents()).toEqual({
      [delivered]: [e[0], e[1]],
      [open]: [e[2]],
      [next]: [e[3], e[4]],
    });
  });
});
