import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ordered delivery lanes (issue 9). Each webhook has two lanes, REALTIME and BATCH, each a queue of
 * events (lane_items, in arrival order = id order) and a row (lanes) whose `busy` flag says whether
 * somebody is responsible for moving it. The rules of the hand-over, which make stranding impossible:
 *
 * - Whoever adds items (ingestion, redeliver, replay, the batch release) locks the lane row in the
 *   same transaction, after inserting the items, and flips `busy` from false to true; only the
 *   transaction that flips it enqueues a wake-up (an advance-lane job). `activated_by` records the
 *   flipping transaction, so the wake-up's job id is unique per activation and a repeat is a no-op.
 * - advance_lane() is the only place that turns items into deliveries and the only place that sets
 *   `busy` back to false. It locks the lane row first, then reads items and open deliveries; it goes
 *   idle only when it sees neither. An adder that committed before the lock is seen by the read; an
 *   adder still running waits on the lock, then finds the lane idle and wakes it. Either way the
 *   items have an owner.
 * - A lane has at most webhooks.max_in_flight open (PENDING/RETRYING) deliveries: with 1, the next
 *   request is created only after the previous one succeeded, died or was cancelled, so a failing
 *   request blocks its lane and the events behind it keep their order.
 * - Each delivery takes up to max_events_per_request (REALTIME) or the batch cap (BATCH) of the
 *   oldest released items: one event at low load, many under a backlog, never an added wait.
 *
 * batch_items becomes lane_items of BATCH lanes, not yet released (BATCH_CRON releases them).
 */
export class DeliveryLanes1764500000000 implements MigrationInterface {
  name = 'DeliveryLanes1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE webhooks
        ADD COLUMN max_in_flight integer NOT NULL DEFAULT 1 CHECK (max_in_flight BETWEEN 1 AND 50),
        ADD COLUMN max_events_per_request integer NOT NULL DEFAULT 100
          CHECK (max_events_per_request BETWEEN 1 AND 1000)`);

    await queryRunner.query(`
      CREATE TABLE lanes (
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        kind varchar(16) NOT NULL CHECK (kind IN ('REALTIME', 'BATCH')),
        busy boolean NOT NULL DEFAULT false,
        activated_by bigint NOT NULL DEFAULT 0,
        activations bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (webhook_id, kind)
      )`);
    await queryRunner.query(`CREATE INDEX lanes_busy_idx ON lanes (updated_at) WHERE busy`);

    await queryRunner.query(`
      CREATE TABLE lane_items (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        webhook_id uuid NOT NULL,
        kind varchar(16) NOT NULL,
        event_pk bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        account_id bigint NOT NULL,
        released boolean NOT NULL,
        -- Items appended by a redelivery carry the delivery they repeat; advance_lane keeps them together.
        redelivery_of uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        FOREIGN KEY (webhook_id, kind) REFERENCES lanes (webhook_id, kind) ON DELETE CASCADE
      )`);
    await queryRunner.query(
      `CREATE INDEX lane_items_lane_idx ON lane_items (webhook_id, kind, released, id)`,
    );
    await queryRunner.query(`CREATE INDEX lane_items_event_idx ON lane_items (event_pk)`);
    await queryRunner.query(
      `CREATE INDEX deliveries_open_lane_idx ON deliveries (webhook_id, kind) WHERE status IN ('PENDING', 'RETRYING')`,
    );

    // Every webhook has its two lanes from the moment it exists, whoever inserts it.
    await queryRunner.query(`
      CREATE FUNCTION create_webhook_lanes() RETURNS trigger AS $$
      BEGIN
        INSERT INTO lanes (webhook_id, kind) VALUES (NEW.id, 'REALTIME'), (NEW.id, 'BATCH')
        ON CONFLICT DO NOTHING;
        RETURN NULL;
      END
      $$ LANGUAGE plpgsql`);
    await queryRunner.query(`
      CREATE TRIGGER webhooks_lanes AFTER INSERT ON webhooks
      FOR EACH ROW EXECUTE FUNCTION create_webhook_lanes()`);
    await queryRunner.query(`
      INSERT INTO lanes (webhook_id, kind)
      SELECT id, kind FROM webhooks CROSS JOIN (VALUES ('REALTIME'), ('BATCH')) AS k(kind)`);
    await queryRunner.query(`
      INSERT INTO lane_items (webhook_id, kind, event_pk, account_id, released, created_at)
      SELECT webhook_id, 'BATCH', event_pk, account_id, false, created_at
        FROM batch_items ORDER BY webhook_id, occurred_at, event_pk`);
    await queryRunner.query(`DROP TABLE batch_items`);

    // One lane step, under the lane's row lock: claim the oldest released items into new deliveries
    // while the lane has free in-flight slots, or go idle when it has neither items nor open
    // deliveries. Returns the deliveries it created (the caller queues them after the commit).
    await queryRunner.query(`
      CREATE FUNCTION advance_lane(p_webhook_id uuid, p_kind text, p_batch_max_events integer)
      RETURNS TABLE (delivery_id uuid, event_count integer) AS $$
      DECLARE
        hook record;
        open_count integer;
        per_request integer;
        item_ids bigint[];
        event_pks bigint[];
        head_redelivery_of uuid;
        boundary bigint;
        new_id uuid;
      BEGIN
        PERFORM 1 FROM lanes l WHERE l.webhook_id = p_webhook_id AND l.kind = p_kind FOR UPDATE;
        IF NOT FOUND THEN RETURN; END IF;
        SELECT w.account_id, w.status, w.deleted_at, w.max_in_flight, w.max_events_per_request
          INTO hook FROM webhooks w WHERE w.id = p_webhook_id;
        IF hook.status IS DISTINCT FROM 'ACTIVE' OR hook.deleted_at IS NOT NULL THEN
          -- Retire, delete and disable drop the items and cancel the open deliveries themselves.
          UPDATE lanes SET busy = false, updated_at = now() WHERE webhook_id = p_webhook_id AND kind = p_kind;
          RETURN;
        END IF;
        SELECT count(*) INTO open_count FROM deliveries d
         WHERE d.webhook_id = p_webhook_id AND d.kind = p_kind AND d.status IN ('PENDING', 'RETRYING');
        per_request := CASE WHEN p_kind = 'REALTIME' THEN hook.max_events_per_request ELSE p_batch_max_events END;
        WHILE open_count < hook.max_in_flight LOOP
          SELECT li.redelivery_of INTO head_redelivery_of FROM lane_items li
           WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
           ORDER BY li.id LIMIT 1;
          EXIT WHEN NOT FOUND;
          -- One request repeats one delivery, or carries new events: stop at the first item of the
          -- window that belongs to something else (looked for within the window only: O(request)).
          SELECT min(w.id) INTO boundary
            FROM (SELECT li.id, li.redelivery_of FROM lane_items li
                   WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
                   ORDER BY li.id LIMIT per_request) w
           WHERE w.redelivery_of IS DISTINCT FROM head_redelivery_of;
          SELECT array_agg(i.id ORDER BY i.id), array_agg(i.event_pk ORDER BY i.id)
            INTO item_ids, event_pks
            FROM (SELECT li.id, li.event_pk FROM lane_items li
                   WHERE li.webhook_id = p_webhook_id AND li.kind = p_kind AND li.released
                     AND (boundary IS NULL OR li.id < boundary)
                   ORDER BY li.id LIMIT per_request) i;
          new_id := gen_random_uuid();
          INSERT INTO deliveries (id, webhook_id, account_id, kind, status, event_count, redelivery_of)
          VALUES (new_id, p_webhook_id, hook.account_id, p_kind, 'PENDING', cardinality(item_ids), head_redelivery_of);
          INSERT INTO delivery_events (delivery_id, position, event_pk)
          SELECT new_id, t.ordinality - 1, t.event_pk FROM unnest(event_pks) WITH ORDINALITY AS t(event_pk, ordinality);
          DELETE FROM lane_items WHERE id = ANY(item_ids);
          open_count := open_count + 1;
          delivery_id := new_id;
          event_count := cardinality(item_ids);
          RETURN NEXT;
        END LOOP;
        UPDATE lanes SET busy = (open_count > 0), updated_at = now()
         WHERE webhook_id = p_webhook_id AND kind = p_kind;
      END
      $$ LANGUAGE plpgsql`);

    // Several lanes in one round trip, locked in one global order so two callers cannot deadlock.
    await queryRunner.query(`
      CREATE FUNCTION advance_lanes(p_webhook_ids uuid[], p_kinds text[], p_batch_max_events integer)
      RETURNS TABLE (webhook_id uuid, kind text, delivery_id uuid, event_count integer) AS $$
      DECLARE
        lane record;
      BEGIN
        FOR lane IN SELECT DISTINCT u.webhook_id, u.kind FROM unnest(p_webhook_ids, p_kinds) AS u(webhook_id, kind)
                     ORDER BY u.webhook_id, u.kind LOOP
          webhook_id := lane.webhook_id;
          kind := lane.kind;
          FOR delivery_id, event_count IN SELECT a.delivery_id, a.event_count
                                            FROM advance_lane(lane.webhook_id, lane.kind, p_batch_max_events) a LOOP
            RETURN NEXT;
          END LOOP;
        END LOOP;
      END
      $$ LANGUAGE plpgsql`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION IF EXISTS advance_lanes(uuid[], text[], integer)`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS advance_lane(uuid, text, integer)`);
    await queryRunner.query(`
      CREATE TABLE batch_items (
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_pk bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        account_id bigint NOT NULL,
        occurred_at bigint NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (webhook_id, event_pk)
      )`);
    await queryRunner.query(
      `CREATE INDEX batch_items_flush_idx ON batch_items (webhook_id, occurred_at, event_pk)`,
    );
    await queryRunner.query(`
      INSERT INTO batch_items (webhook_id, event_pk, account_id, occurred_at, created_at)
      SELECT li.webhook_id, li.event_pk, li.account_id, e.occurred_at, li.created_at
        FROM lane_items li JOIN events e ON e.id = li.event_pk WHERE li.kind = 'BATCH'
      ON CONFLICT DO NOTHING`);
    await queryRunner.query(`DROP TRIGGER IF EXISTS webhooks_lanes ON webhooks`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS create_webhook_lanes()`);
    await queryRunner.query(`DROP INDEX IF EXISTS deliveries_open_lane_idx`);
    await queryRunner.query(`DROP TABLE IF EXISTS lane_items`);
    await queryRunner.query(`DROP TABLE IF EXISTS lanes`);
    await queryRunner.query(
      `ALTER TABLE webhooks DROP COLUMN IF EXISTS max_in_flight, DROP COLUMN IF EXISTS max_events_per_request`,
    );
  }
}
