import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  isOpenDeliveryStatus,
  OPEN_DELIVERY_STATUSES,
  OPEN_DELIVERY_STATUSES_SQL,
  type DeliveryStatus,
} from './delivery.entity';

const migration = (file: string) => readFileSync(path.join(__dirname, '../migrations', file), 'utf8');

describe('the one "open" definition', () => {
  it('says open = still to be sent or retried, in TypeScript and in SQL alike', () => {
    expect(OPEN_DELIVERY_STATUSES).toEqual(['PENDING', 'RETRYING']);
    expect(OPEN_DELIVERY_STATUSES_SQL).toBe("('PENDING', 'RETRYING')");
    const all: DeliveryStatus[] = ['PENDING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'CANCELLED'];
    expect(all.filter(isOpenDeliveryStatus)).toEqual(['PENDING', 'RETRYING']);
  });

  // A query uses a partial index only when its predicate implies the index's: the SQL fragment must
  // stay the predicate the open-delivery indexes were created with.
  it('is the predicate of the partial indexes on open deliveries', () => {
    expect(migration('1764300000000-initial-schema.ts')).toContain(
      `CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ${OPEN_DELIVERY_STATUSES_SQL}`,
    );
    expect(migration('1764500000000-delivery-lanes.ts')).toContain(
      `CREATE INDEX deliveries_open_lane_idx ON deliveries (webhook_id, kind) WHERE status IN ${OPEN_DELIVERY_STATUSES_SQL}`,
    );
  });
});
