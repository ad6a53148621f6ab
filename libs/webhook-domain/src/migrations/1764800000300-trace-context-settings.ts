import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tracing (issue 17), per webhook: `trace_context_headers` says whether its requests carry the W3C
 * `traceparent`/`tracestate` headers of their attempt (default on; a listener that must not see our
 * trace ids can turn them off). With a constant default, adding the column is a catalogue change, not a
 * rewrite of the table.
 */
export class TraceContextSettings1764800000300 implements MigrationInterface {
  name = 'TraceContextSettings1764800000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE webhooks ADD COLUMN trace_context_headers boolean NOT NULL DEFAULT true`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE webhooks DROP COLUMN trace_context_headers`);
  }
}
