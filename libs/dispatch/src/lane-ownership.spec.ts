import { randomUUID } from 'node:crypto';
import type { LaneKey } from '@lms/webhook-domain';
import { laneOwner } from './lane-ownership';

const lanes: LaneKey[] = Array.from({ length: 2_000 }, (_, index) => ({
  webhookId: randomUUID(),
  kind: index % 2 === 0 ? 'REALTIME' : 'BATCH',
}));

describe('laneOwner: one live dispatcher answers each lane', () => {
  it('gives no owner without live dispatchers, and the only one when there is one', () => {
    expect(laneOwner(lanes[0], [])).toBeUndefined();
    expect(laneOwner(lanes[0], [17])).toBe(17);
  });

  it('spreads lanes evenly and does not depend on the order of the list', () => {
    const drivers = [101, 202, 303];
    const counts = new Map<number, number>();
    for (const lane of lanes) {
      const owner = laneOwner(lane, drivers)!;
      expect(laneOwner(lane, [...drivers].reverse())).toBe(owner);
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const driver of drivers) expect(counts.get(driver)).toBeGreaterThan(lanes.length / 3 - 150);
  });

  it('moves only the lanes of a dispatcher that leaves, and only lanes to one that joins', () => {
    const before = lanes.map((lane) => laneOwner(lane, [101, 202, 303]));
    const afterLeave = lanes.map((lane) => laneOwner(lane, [101, 303]));
    const afterJoin = lanes.map((lane) => laneOwner(lane, [101, 202, 303, 404]));
    lanes.forEach((_, index) => {
      if (before[index] !== 202) expect(afterLeave[index]).toBe(before[index]);
      if (afterJoin[index] !== 404) expect(afterJoin[index]).toBe(before[index]);
    });
  });
});
