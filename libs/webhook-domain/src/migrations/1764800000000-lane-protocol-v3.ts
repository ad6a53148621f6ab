import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneSql } from '../lanes/lane-sql';

/** A request's events, read through its range of lane items (`position` orders them: a lane item id). */
export const DELIVERY_EVENTS_VIEW = `
  CREATE VIEW delivery_events AS
  SELECT d.id AS delivery_id, li.id AS position, li.event_pk
    FROM deliveries d
    JOIN lane_items li ON li.webhook_id = d.webhook_id AND li.kind = d.kind
                      AND li.id BETWEEN d.first_item_id AND d.last_item_id`;

/**
 * What waits in the lanes: items past their lane's cursor; `released` is false for BATCH items past
 * the lane's release mark. The read side's one definition of "waiting" (gauges, lane views, backlog).
 */
export const LANE_WAITING_ITEMS_VIEW = `
  CREATE VIEW lane_waiting_items AS
  SELECT li.id, li.webhook_id, li.kind, li.event_pk, li.account_id, li.redelivery_of, li.body_bytes, li.created_at,
         (l.kind = 'REALTIME' OR li.id <= l.released_upto) AS released
    FROM lanes l
    JOIN lane_items li ON li.webhook_id = l.webhook_id AND li.kind = l.kind AND li.id > l.claimed_upto`;

/**
 * Lane protocol v3 (issue 16 item 4; lanes/sql/lane-protocol-v3.sql, rules in lanes/README.md): a lane
 * is an append-only log read through a cursor, and a request is a range of it. Per (event, webhook)
 * the hot path writes one row (the lane item) instead of three (its insert, its delete, a
 * delivery_events row) plus their foreign-key checks.
 *
 * - `lanes.claimed_upto`: the last item taken into a request (or dropped by retire/delete/disable).
 * - `lanes.released_upto` (BATCH lanes): items up to it are released; replaces `lane_items.released`,
 *   whose per-item updates at each release were row versions too.
 * - `deliveries.first_item_id`/`last_item_id`: the request's events; `delivery_events` becomes a view.
 * - lane_items loses its foreign keys: an adder locks the lane row before inserting (so the lane
 *   exists), and retention removes lane items before the events they name (LogRetention). Each
 *   key was a per-row check (and a row lock on the referenced row) on the hottest insert.
 *
 * Existing rows move: each delivery's events become consumed lane items of its lane (numbered after
 * every existing item, in the order of the deliveries), then the waiting items are renumbered after
 * them, so every lane's cursor can sit between the two. A BATCH lane's waiting items are released up
 * to its last released one (a lane goes out in order).
 */
export class LaneProtocolV31764800000000 implements MigrationInterface {
  name = 'LaneProtocolV31764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE lanes, lane_items, deliveries, delivery_events IN EXCLUSIVE MODE`);
    await queryRunner.query(`
      ALTER TABLE lanes ADD COLUMN claimed_upto bigint NOT NULL DEFAULT 0,
                        ADD COLUMN released_upto bigint NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      ALTER TABLE deliveries ADD COLUMN first_item_id bigint, ADD COLUMN last_item_id bigint`);

    await queryRunner.query(`
      CREATE TEMP TABLE v3_delivered ON COMMIT DROP AS
      SELECT d.id AS delivery_id, d.webhook_id, d.kind, d.account_id, d.redelivery_of, d.created_at, de.event_pk,
             row_number() OVER (ORDER BY d.created_at, d.id, de.position) AS n
        FROM deliveries d JOIN delivery_events de ON de.delivery_id = d.id`);
    await queryRunner.query(`
      CREATE TEMP TABLE v3_waiting ON COMMIT DROP AS
      SELECT li.*, row_number() OVER (ORDER BY li.id) AS n FROM lane_items li`);
    await queryRunner.query(`
      DO $$
      DECLARE
        base bigint := greatest((SELECT coalesce(max(id), 0) FROM lane_items),
                                (SELECT last_value FROM lane_items_id_seq));
        delivered bigint := (SELECT count(*) FROM v3_delivered);
        waiting bigint := (SELECT count(*) FROM v3_waiting);
      BEGIN
        DELETE FROM lane_items;
        INSERT INTO lane_items (id, webhook_id, kind, event_pk, account_id, released, redelivery_of, created_at)
          OVERRIDING SYSTEM VALUE
        SELECT base + v.n, v.webhook_id, v.kind, v.event_pk, v.account_id, true, v.redelivery_of, v.created_at
          FROM v3_delivered v;
        INSERT INTO lane_items (id, webhook_id, kind, event_pk, account_id, released, redelivery_of, body_bytes,
                                created_at)
          OVERRIDING SYSTEM VALUE
        SELECT base + delivered + w.n, w.webhook_id, w.kind, w.event_pk, w.account_id, w.released, w.redelivery_of,
               w.body_bytes, w.created_at
          FROM v3_waiting w;
        PERFORM setval('lane_items_id_seq', base + delivered + waiting + 1, false);
        UPDATE deliveries d SET first_item_id = base + r.first_n, last_item_id = base + r.last_n
          FROM (SELECT delivery_id, min(n) AS first_n, max(n) AS last_n FROM v3_delivered GROUP BY delivery_id) r
         WHERE d.id = r.delivery_id;
        UPDATE lanes l SET claimed_upto = base + delivered,
                           released_upto = coalesce(
                             (SELECT max(base + delivered + w.n) FROM v3_waiting w
                               WHERE w.webhook_id = l.webhook_id AND w.kind = l.kind AND w.released),
                             base + delivered);
      END $$`);

    await queryRunner.query(`DROP TABLE delivery_events`);
    await queryRunner.query(DELIVERY_EVENTS_VIEW);
    await queryRunner.query(`DROP INDEX lane_items_lane_idx`);
    await queryRunner.query(`ALTER TABLE lane_items DROP COLUMN released`);
    await queryRunner.query(`CREATE INDEX lane_items_lane_idx ON lane_items (webhook_id, kind, id)`);
    await queryRunner.query(LANE_WAITING_ITEMS_VIEW);
    await queryRunner.query(`ALTER TABLE lane_items DROP CONSTRAINT IF EXISTS lane_items_event_pk_fkey`);
    await queryRunner.query(
      `ALTER TABLE lane_items DROP CONSTRAINT IF EXISTS lane_items_webhook_id_kind_fkey`,
    );
    // One number at a time, in the order asked for: the cursor relies on it (lane-protocol-v3.sql).
    await queryRunner.query(`ALTER SEQUENCE lane_items_id_seq CACHE 1`);
    await queryRunner.query(laneSql('lane-protocol-v3.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`LOCK TABLE lanes, lane_items, deliveries IN EXCLUSIVE MODE`);
    await queryRunner.query(`DROP VIEW delivery_events`);
    await queryRunner.query(`DROP VIEW lane_waiting_items`);
    await queryRunner.query(`
      CREATE TABLE delivery_events (
        delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        position integer NOT NULL,
        event_pk bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        PRIMARY KEY (delivery_id, position)
      )`);
    await queryRunner.query(`CREATE INDEX delivery_events_event_idx ON delivery_events (event_pk)`);
    await queryRunner.query(`
      INSERT INTO delivery_events (delivery_id, position, event_pk)
      SELECT d.id, (row_number() OVER (PARTITION BY d.id ORDER BY li.id) - 1)::int, li.event_pk
        FROM deliveries d
        JOIN lane_items li ON li.webhook_id = d.webhook_id AND li.kind = d.kind
                          AND li.id BETWEEN d.first_item_id AND d.last_item_id
        JOIN events e ON e.id = li.event_pk`);
    await queryRunner.query(`ALTER TABLE lane_items ADD COLUMN released boolean NOT NULL DEFAULT true`);
    await queryRunner.query(`
      DELETE FROM lane_items li USING lanes l
       WHERE li.webhook_id = l.webhook_id AND li.kind = l.kind AND li.id <= l.claimed_upto`);
    await queryRunner.query(`DELETE FROM lane_items li WHERE NOT EXISTS (SELECT 1 FROM lanes l
                               WHERE l.webhook_id = li.webhook_id AND l.kind = li.kind)`);
    await queryRunner.query(
      `DELETE FROM lane_items li WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = li.event_pk)`,
    );
    await queryRunner.query(`
      UPDATE lane_items li SET released = false FROM lanes l
       WHERE li.webhook_id = l.webhook_id AND li.kind = l.kind AND l.kind = 'BATCH' AND li.id > l.released_upto`);
    await queryRunner.query(`ALTER TABLE lane_items ALTER COLUMN released DROP DEFAULT`);
    await queryRunner.query(`DROP INDEX lane_items_lane_idx`);
    await queryRunner.query(
      `CREATE INDEX lane_items_lane_idx ON lane_items (webhook_id, kind, released, id)`,
    );
    await queryRunner.query(`
      ALTER TABLE lane_items ADD FOREIGN KEY (event_pk) REFERENCES events (id) ON DELETE CASCADE,
                             ADD FOREIGN KEY (webhook_id, kind) REFERENCES lanes (webhook_id, kind) ON DELETE CASCADE`);
    await queryRunner.query(`DROP FUNCTION lane_new_delivery_id()`);
    await queryRunner.query(`ALTER TABLE deliveries DROP COLUMN first_item_id, DROP COLUMN last_item_id`);
    await queryRunner.query(`ALTER TABLE lanes DROP COLUMN claimed_upto, DROP COLUMN released_upto`);
    // v2's advance_lane and lane_claim again (the file re-creates everything it holds).
    await queryRunner.query(laneSql('lane-protocol-v2.sql'));
  }
}
