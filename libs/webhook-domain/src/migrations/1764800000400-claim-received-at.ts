import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneSql } from '../lanes/lane-sql';

/**
 * The claims answer each event's store time (lanes/sql/lane-claim-received-at.sql): the dispatcher's
 * "lane wait" span runs from it to the claim. Down gives back v3's lane_claim and the trace-id
 * migration's lane_record_and_claim (both files are CREATE OR REPLACE throughout).
 */
export class ClaimReceivedAt1764800000400 implements MigrationInterface {
  name = 'ClaimReceivedAt1764800000400';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(laneSql('lane-claim-received-at.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION lane_record_and_claim(uuid[], text[], timestamptz[], integer[], text[],
      text[], timestamptz[], integer[], text[], integer, integer, uuid[], uuid[], text[], integer, bigint, integer)`);
    await queryRunner.query(`DROP FUNCTION lane_claim(uuid[], text[], integer, bigint, integer)`);
    await queryRunner.query(laneSql('lane-protocol-v3.sql'));
    await queryRunner.query(laneSql('attempt-trace-ids.sql'));
  }
}
