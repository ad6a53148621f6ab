import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The whole first schema. Notes on the choices that are not obvious:
 * - events.data is `json`, not `jsonb`: json keeps the text we stored, so receivers get the data as
 *   the LMS produced it (jsonb would reorder keys).
 * - webhooks are soft-deleted: their delivery history stays inspectable until retention removes it,
 *   and names become free again (partial unique index).
 * - the due index is partial: it holds only deliveries still to send, so it stays small however long
 *   the history is.
 * - a trigger NOTIFYs `webhooks_changed` on every webhook or secret change, so caches in the other
 *   apps cannot be forgotten by a new write path.
 */
export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY,
        account_id bigint NOT NULL,
        name varchar(100) NOT NULL,
        description varchar(500),
        target_url varchar(2048) NOT NULL,
        auth_type varchar(16) NOT NULL CHECK (auth_type IN ('NONE', 'BASIC', 'SIGNATURE')),
        basic_username varchar(255),
        basic_password_enc text,
        events text[] NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'INACTIVE' CHECK (status IN ('ACTIVE', 'INACTIVE', 'DISABLED')),
        disabled_reason text,
        rate_limit_per_second integer CHECK (rate_limit_per_second IS NULL OR rate_limit_per_second > 0),
        failing_since timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhooks_account_name_uq ON webhooks (account_id, name) WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX webhooks_account_idx ON webhooks (account_id) WHERE deleted_at IS NULL`,
    );

    await queryRunner.query(`
      CREATE TABLE webhook_secrets (
        id uuid PRIMARY KEY,
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        secret_enc text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX webhook_secrets_webhook_idx ON webhook_secrets (webhook_id)`);

    await queryRunner.query(`
      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL,
        event_id varchar(128) NOT NULL,
        event_name varchar(64) NOT NULL,
        realtime boolean NOT NULL,
        occurred_at bigint NOT NULL,
        event_info varchar(1024) NOT NULL DEFAULT '',
        data json NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        source_partition integer,
        source_offset bigint,
        CONSTRAINT events_account_event_uq UNIQUE (account_id, event_id)
      )`);
    await queryRunner.query(`CREATE INDEX events_received_at_idx ON events (received_at)`);
    await queryRunner.query(`CREATE INDEX events_account_occurred_idx ON events (account_id, occurred_at)`);

    await queryRunner.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY,
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        account_id bigint NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('REALTIME', 'BATCH')),
        status varchar(16) NOT NULL DEFAULT 'PENDING'
          CHECK (status IN ('PENDING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'CANCELLED')),
        event_count integer NOT NULL DEFAULT 1,
        attempt_count integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        last_status_code integer,
        last_error text,
        cancelled_by text,
        redelivery_of uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('PENDING', 'RETRYING')`,
    );
    await queryRunner.query(
      `CREATE INDEX deliveries_webhook_created_idx ON deliveries (webhook_id, created_at DESC, id DESC)`,
    );
    await queryRunner.query(`CREATE INDEX deliveries_created_idx ON deliveries (created_at)`);

    await queryRunner.query(`
      CREATE TABLE delivery_events (
        delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        position integer NOT NULL,
        event_pk bigint NOT NULL REFERENCES events (id) ON DELETE CASCADE,
        PRIMARY KEY (delivery_id, position)
      )`);
    await queryRunner.query(`CREATE INDEX delivery_events_event_idx ON delivery_events (event_pk)`);

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
      CREATE TABLE delivery_attempts (
        delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
        attempt_number integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer NOT NULL,
        status_code integer,
        error text,
        response_snippet text,
        PRIMARY KEY (delivery_id, attempt_number)
      )`);

    await queryRunner.query(`
      CREATE TABLE audit_log (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL,
        webhook_id uuid,
        actor varchar(255) NOT NULL,
        action varchar(32) NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        details jsonb NOT NULL DEFAULT '{}'::jsonb
      )`);
    await queryRunner.query(`CREATE INDEX audit_log_webhook_idx ON audit_log (webhook_id, at DESC, id DESC)`);

    await queryRunner.query(`
      CREATE FUNCTION notify_webhooks_changed() RETURNS trigger AS $$
      DECLARE
        changed_webhook_id uuid;
        changed_account_id bigint;
      BEGIN
        IF TG_TABLE_NAME = 'webhooks' THEN
          changed_webhook_id := COALESCE(NEW.id, OLD.id);
          changed_account_id := COALESCE(NEW.account_id, OLD.account_id);
        ELSE
          changed_webhook_id := COALESCE(NEW.webhook_id, OLD.webhook_id);
          SELECT account_id INTO changed_account_id FROM webhooks WHERE id = changed_webhook_id;
        END IF;
        PERFORM pg_notify('webhooks_changed',
          json_build_object('accountId', changed_account_id, 'webhookId', changed_webhook_id)::text);
        RETURN NULL;
      END
      $$ LANGUAGE plpgsql`);
    await queryRunner.query(`
      CREATE TRIGGER webhooks_changed AFTER INSERT OR UPDATE OR DELETE ON webhooks
      FOR EACH ROW EXECUTE FUNCTION notify_webhooks_changed()`);
    await queryRunner.query(`
      CREATE TRIGGER webhook_secrets_changed AFTER INSERT OR UPDATE OR DELETE ON webhook_secrets
      FOR EACH ROW EXECUTE FUNCTION notify_webhooks_changed()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'audit_log',
      'delivery_attempts',
      'batch_items',
      'delivery_events',
      'deliveries',
      'events',
      'webhook_secrets',
      'webhooks',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    }
    await queryRunner.query(`DROP FUNCTION IF EXISTS notify_webhooks_changed()`);
  }
}
