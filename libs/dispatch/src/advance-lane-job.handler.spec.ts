import { Metrics } from '@lms/observability';
import type { AdvanceLaneJobData } from '@lms/queue-contract';
import type { ClaimedRequest, LaneKey } from '@lms/webhook-domain';
import type { Job } from 'bull';
import { AdvanceLaneJobHandler } from './advance-lane-job.handler';
import type { LaneAdvancer } from './lane-advancer';
import type { LaneDriver } from './lane-driver';

const LANE: LaneKey = { webhookId: 'hook-1', kind: 'REALTIME' };

function wakeUpJob(ageMs: number, attemptsMade = 0): Job<AdvanceLaneJobData> {
  return {
    data: { ...LANE },
    timestamp: Date.now() - ageMs,
    attemptsMade,
  } as unknown as Job<AdvanceLaneJobData>;
}

async function stageCounts(metrics: Metrics): Promise<Record<string, number>> {
  return Object.fromEntries(
    (await metrics.laneStage.get()).values
      .filter((v) => v.metricName === 'lmsw_lane_stage_seconds_count')
      .map((v) => [String(v.labels.stage), v.value]),
  );
}

describe('AdvanceLaneJobHandler: lane stages', () => {
  const created: ClaimedRequest[] = [
    { deliveryId: 'd-1', ...LANE, accountId: 1, attemptCount: 0, createdAt: new Date(), events: [] },
  ];
  const advancer: Pick<LaneAdvancer, 'claim' | 'requeueOpenDeliveries'> = {
    claim: async () => created,
    requeueOpenDeliveries: async () => 0,
  };
  const driven: ClaimedRequest[][] = [];
  const driver: Pick<LaneDriver, 'drive'> = {
    drive: async (claimed) => {
      driven.push([...claimed]);
    },
  };

  it('observes the wake-up job’s age as commit_to_wake and the lane step as wake_to_claim', async () => {
    const metrics = new Metrics();
    const handler = new AdvanceLaneJobHandler(advancer as LaneAdvancer, driver as LaneDriver, metrics);

    await expect(handler.handle(wakeUpJob(2_500))).resolves.toEqual(['d-1']);
    // The claimed request is sent from this job (LaneDriver), not queued.
    expect(driven).toContainEqual(created);

    expect(await stageCounts(metrics)).toEqual({ commit_to_wake: 1, wake_to_claim: 1 });
    const commitToWake = (await metrics.laneStage.get()).values.find(
      (v) =>
        v.metricName === 'lmsw_lane_stage_seconds_bucket' &&
        v.labels.stage === 'commit_to_wake' &&
        (v.labels as Record<string, unknown>).le === 2,
    )?.value;
    expect(commitToWake).toBe(0); // 2.5 s: above the 2 s bucket
  });

  it('does not take a re-run job’s age for a wake-up (its timestamp is its first run’s)', async () => {
    const metrics = new Metrics();
    const handler = new AdvanceLaneJobHandler(advancer as LaneAdvancer, driver as LaneDriver, metrics);

    await handler.handle(wakeUpJob(60_000, 1));

    expect(await stageCounts(metrics)).toEqual({ wake_to_claim: 1 });
  });
});
