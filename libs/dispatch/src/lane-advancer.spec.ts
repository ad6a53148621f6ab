import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import type { ClaimedRequest, LaneKey, LaneRepository } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { LaneAdvancer } from './lane-advancer';
import { LaneDriverIdentity } from './lane-driver-identity';

const LANE: LaneKey = { webhookId: 'hook-1', kind: 'BATCH' };

describe('LaneAdvancer.claim', () => {
  it('gives a lane asked for twice at once its requests once (else two callers would send them)', async () => {
    const request: ClaimedRequest = {
      ...LANE,
      deliveryId: 'd-1',
      accountId: 1,
      attemptCount: 0,
      createdAt: new Date(),
      events: [],
    };
    const statements: LaneKey[][] = [];
    const lanes = {
      claim: async (asked: LaneKey[]) => {
        statements.push(asked);
        return [request];
      },
    } as unknown as LaneRepository;
    const advancer = new LaneAdvancer(
      lanes,
      {} as Queue,
      { batchMaxEvents: 10, maxRequestBodyBytes: 1_000_000 } as DispatcherConfig,
      new LaneDriverIdentity(),
      new Metrics(),
    );

    const [first, second] = await Promise.all([advancer.claim(LANE), advancer.claim({ ...LANE })]);

    expect(statements).toHaveLength(1);
    expect([first, second]).toEqual([[request], []]);
  });
});
