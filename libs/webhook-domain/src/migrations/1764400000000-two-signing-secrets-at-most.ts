import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * At most two signing secrets per webhook, by construction: one current (expires_at IS NULL) and one
 * previous (expires_at set, signing until then). A rotation replaces the previous one; it never adds a
 * third. Before this, every rotation during an overlap added a live secret (413 after 400 rotations).
 * Existing rows are trimmed to the newest current secret and the most recently rotated-out one.
 */
export class TwoSigningSecretsAtMost1764400000000 implements MigrationInterface {
  name = 'TwoSigningSecretsAtMost1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DELETE FROM webhook_secrets s
       WHERE s.expires_at IS NULL
         AND EXISTS (SELECT 1 FROM webhook_secrets n
                      WHERE n.webhook_id = s.webhook_id AND n.expires_at IS NULL
                        AND (n.created_at, n.id) > (s.created_at, s.id))`);
    await queryRunner.query(`DELETE FROM webhook_secrets WHERE expires_at <= now()`);
    await queryRunner.query(`
      DELETE FROM webhook_secrets s
       WHERE s.expires_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM webhook_secrets n
                      WHERE n.webhook_id = s.webhook_id AND n.expires_at IS NOT NULL
                        AND (n.expires_at, n.created_at, n.id) > (s.expires_at, s.created_at, s.id))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_secrets_current_uq ON webhook_secrets (webhook_id) WHERE expires_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhook_secrets_previous_uq ON webhook_secrets (webhook_id) WHERE expires_at IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS webhook_secrets_previous_uq`);
    await queryRunner.query(`DROP INDEX IF EXISTS webhook_secrets_current_uq`);
  }
}
