import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replays an admin made (issue 15): a repeat of the same webhook and range while the earlier one's
 * events still wait in the lanes adds nothing. A replay's lane items and its row are written in one
 * transaction, so they share its `now()`: the items of a replay are the webhook's lane items whose
 * created_at equals the replay's.
 */
export class WebhookReplays1764600000400 implements MigrationInterface {
  name = 'WebhookReplays1764600000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhook_replays (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        account_id bigint NOT NULL,
        from_ms bigint NOT NULL,
        to_ms bigint NOT NULL,
        event_count integer NOT NULL,
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_replays_range_idx ON webhook_replays (webhook_id, from_ms, to_ms, created_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS webhook_replays`);
  }
}
