import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tracing (issue 17): each event keeps the W3C trace context it was ingested under
 * (`00-<trace id>-<span id>-<flags>`, the ingestion consume span's, or the record's own `traceparent`
 * when ingestion does not trace), so the request that later carries the event can link to its trace.
 * NULL when the record carried none and ingestion does not trace. Nullable without a default: a
 * catalogue change, not a rewrite of the table.
 */
export class EventTraceContext1764700000500 implements MigrationInterface {
  name = 'EventTraceContext1764700000500';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE events ADD COLUMN trace_parent text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE events DROP COLUMN trace_parent`);
  }
}
