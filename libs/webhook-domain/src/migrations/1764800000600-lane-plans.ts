import { MigrationInterface, QueryRunner } from 'typeorm';
import { laneSql } from '../lanes/lane-sql';
import { LANE_WAITING_ITEMS_VIEW } from './1764800000000-lane-protocol-v3';

/**
 * Lane reads whose plans stay right as the lane log grows (lanes/sql/lane-plans.sql says what a soak
 * found): a lane item's key becomes (webhook_id, kind, id) instead of id alone, and the claim's payload
 * and the waiting-items view read request by request and lane by lane.
 */
export class LanePlans1764800000600 implements MigrationInterface {
  name = 'LanePlans1764800000600';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE lane_items DROP CONSTRAINT lane_items_pkey`);
    await queryRunner.query(`DROP INDEX lane_items_lane_idx`);
    await queryRunner.query(`ALTER TABLE lane_items ADD PRIMARY KEY (webhook_id, kind, id)`);
    await queryRunner.query(laneSql('lane-plans.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW lane_waiting_items`);
    await queryRunner.query(LANE_WAITING_ITEMS_VIEW);
    await queryRunner.query(laneSql('lane-claim-received-at.sql').replace(/^DROP FUNCTION[^;]*;/gm, ''));
    await queryRunner.query(`ALTER TABLE lane_items DROP CONSTRAINT lane_items_pkey`);
    await queryRunner.query(`CREATE INDEX lane_items_lane_idx ON lane_items (webhook_id, kind, id)`);
    await queryRunner.query(`ALTER TABLE lane_items ADD PRIMARY KEY (id)`);
  }
}
