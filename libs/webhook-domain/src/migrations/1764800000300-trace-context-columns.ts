import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneSql } from '../lanes/lane-sql';

const OLD_RECORD_OUTCOMES = `lane_record_outcomes(uuid[], text[], timestamptz[], integer[], text[], text[],
  timestamptz[], integer[], text[], integer, integer, uuid[], uuid[])`;
const OLD_RECORD_AND_CLAIM = `lane_record_and_claim(uuid[], text[], timestamptz[], integer[], text[], text[],
  timestamptz[], integer[], text[], integer, integer, uuid[], uuid[], integer, bigint, integer)`;
const NEW_RECORD_OUTCOMES = `lane_record_outcomes(uuid[], text[], timestamptz[], integer[], text[], text[],
  timestamptz[], integer[], text[], integer, integer, uuid[], uuid[], text[])`;
const NEW_RECORD_AND_CLAIM = `lane_record_and_claim(uuid[], text[], timestamptz[], integer[], text[], text[],
  timestamptz[], integer[], text[], integer, integer, uuid[], uuid[], text[], integer, bigint, integer)`;

/**
 * Tracing (issue 17), the columns operators read it by:
 * - `webhooks.trace_context_headers`: whether a webhook's requests carry the W3C `traceparent`/
 *   `tracestate` of their attempt (default on; a listener that must not see our trace ids turns it off).
 * - `delivery_attempts.trace_id`: the trace id of the attempt's span (NULL when the dispatcher does not
 *   trace), shown by the delivery log. The only writer of attempt rows, `lane_record_outcomes` (and
 *   `lane_record_and_claim`, which calls it), takes the trace ids (an array after p_failing_webhooks): the old
 *   signatures are dropped so that no caller can write an attempt without its trace id by mistake.
 * Both columns are catalogue changes (a constant default, or none), not rewrites of the tables.
 */
export class TraceContextColumns1764800000300 implements MigrationInterface {
  name = 'TraceContextColumns1764800000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE webhooks ADD COLUMN trace_context_headers boolean NOT NULL DEFAULT true`,
    );
    await queryRunner.query(`ALTER TABLE delivery_attempts ADD COLUMN trace_id text`);
    await queryRunner.query(`DROP FUNCTION ${OLD_RECORD_AND_CLAIM}`);
    await queryRunner.query(`DROP FUNCTION ${OLD_RECORD_OUTCOMES}`);
    await queryRunner.query(laneSql('attempt-trace-ids.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION ${NEW_RECORD_AND_CLAIM}`);
    await queryRunner.query(`DROP FUNCTION ${NEW_RECORD_OUTCOMES}`);
    await queryRunner.query(v2RecordFunctions());
    await queryRunner.query(`ALTER TABLE delivery_attempts DROP COLUMN trace_id`);
    await queryRunner.query(`ALTER TABLE webhooks DROP COLUMN trace_context_headers`);
  }
}

/**
 * The definitions this migration replaced: the end of lane-protocol-v2.sql (only those two: the file's
 * other functions are v3's now, and must stay so).
 */
function v2RecordFunctions(): string {
  const v2 = laneSql('lane-protocol-v2.sql');
  const start = v2.indexOf('-- The outcomes of many requests');
  if (start < 0) throw new Error('lane-protocol-v2.sql: lane_record_outcomes was not found');
  return v2.slice(start);
}
