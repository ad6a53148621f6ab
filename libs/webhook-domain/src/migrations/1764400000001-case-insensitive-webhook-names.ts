import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook names are stored in NFC and unique per account case-insensitively: the unique index moves
 * from `name` to `lower(name)` (lower() follows the database's LC_CTYPE; with a UTF-8 locale it folds
 * non-ASCII letters too). Existing names are normalised; where that makes two live names of an account
 * collide, the newer webhook keeps its name with " (<first 8 characters of its id>)" appended.
 */
export class CaseInsensitiveWebhookNames1764400000001 implements MigrationInterface {
  name = 'CaseInsensitiveWebhookNames1764400000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS webhooks_account_name_uq`);
    await queryRunner.query(
      `UPDATE webhooks SET name = normalize(name, NFC) WHERE name IS NOT NFC NORMALIZED`,
    );
    await queryRunner.query(`
      UPDATE webhooks w
         SET name = left(w.name, 89) || ' (' || left(w.id::text, 8) || ')', updated_at = now()
       WHERE w.deleted_at IS NULL
         AND EXISTS (SELECT 1 FROM webhooks o
                      WHERE o.account_id = w.account_id AND o.deleted_at IS NULL
                        AND lower(o.name) = lower(w.name)
                        AND (o.created_at, o.id) < (w.created_at, w.id))`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhooks_account_lower_name_uq ON webhooks (account_id, lower(name)) WHERE deleted_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS webhooks_account_lower_name_uq`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX webhooks_account_name_uq ON webhooks (account_id, name) WHERE deleted_at IS NULL`,
    );
  }
}
