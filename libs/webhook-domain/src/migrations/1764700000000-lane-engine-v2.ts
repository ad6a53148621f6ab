import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneSql } from '../lanes/lane-sql';
import { ADVANCE_LANE_WITH_BYTE_CAP, ADVANCE_LANES_WITH_BYTE_CAP } from './1764600000200-request-byte-cap';

/**
 * Lane engine v2 (issue 16): the lane protocol moves to versioned SQL (lanes/sql/lane-protocol-v2.sql,
 * rules in lanes/README.md) and a request costs one round trip: `lane_record_and_claim` records an
 * outcome and returns the lane's next request with its events; `lane_claim` does the same for a
 * woken lane. The claiming dispatcher drives the request from memory (`deliveries.driven_by`, its
 * driver number, whose liveness is a session advisory lock: see the SQL file).
 *
 * The lanes table's rows stop churning: `lanes_busy_idx` (on `updated_at`, which changed on every
 * step) ruled out HOT updates, so each lane step left a dead row version plus index entries; the
 * relay's scan of busy lanes reads the table instead (two rows per webhook). advance_lane now writes
 * the row only when `busy` flips.
 */
export class LaneEngineV21764700000000 implements MigrationInterface {
  name = 'LaneEngineV21764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS lanes_busy_idx`);
    // Room on the page for the flips' new versions, so they stay HOT.
    await queryRunner.query(`ALTER TABLE lanes SET (fillfactor = 70)`);
    // Nullable without a default: a catalogue change, not a rewrite of the table.
    await queryRunner.query(`ALTER TABLE deliveries ADD COLUMN driven_by integer`);
    await queryRunner.query(laneSql('lane-protocol-v2.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION lane_record_and_claim(uuid[], text[], timestamptz[], integer[], text[],
      text[], timestamptz[], integer[], text[], integer, integer, uuid[], uuid[], integer, bigint, integer)`);
    await queryRunner.query(`DROP FUNCTION lane_record_outcomes(uuid[], text[], timestamptz[], integer[], text[],
      text[], timestamptz[], integer[], text[], integer, integer, uuid[], uuid[])`);
    await queryRunner.query(`DROP FUNCTION lane_claim(uuid[], text[], integer, bigint, integer)`);
    await queryRunner.query(`DROP FUNCTION lane_request_orphaned(integer, timestamptz, integer[])`);
    await queryRunner.query(`DROP FUNCTION lane_driver_alive(integer)`);
    await queryRunner.query(`DROP FUNCTION lane_live_drivers()`);
    await queryRunner.query(`DROP FUNCTION advance_lanes(uuid[], text[], integer, bigint, integer)`);
    await queryRunner.query(`DROP FUNCTION advance_lane(uuid, text, integer, bigint, integer)`);
    await queryRunner.query(`ALTER TABLE deliveries DROP COLUMN driven_by`);
    await queryRunner.query(ADVANCE_LANE_WITH_BYTE_CAP);
    await queryRunner.query(ADVANCE_LANES_WITH_BYTE_CAP);
    await queryRunner.query(`ALTER TABLE lanes RESET (fillfactor)`);
    await queryRunner.query(`CREATE INDEX lanes_busy_idx ON lanes (updated_at) WHERE busy`);
  }
}
