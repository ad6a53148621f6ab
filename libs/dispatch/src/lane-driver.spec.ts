import { Metrics } from '@lms/observability';
import type { ClaimedRequest } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { AccountFairShare } from './account-fair-share';
import type { DeliverDeliveryUseCase } from './deliver-delivery.use-case';
import { LANE_TURN_MAX_REQUESTS, LaneDriver } from './lane-driver';
import { LaneDriverIdentity } from './lane-driver-identity';
import type { LaneAdvancer } from './lane-advancer';
import { RetryDeliveryError, unexpectedErrorRetryMs } from './retry-delivery-error';

function request(deliveryId: string, accountId = 1): ClaimedRequest {
  return {
    deliveryId,
    webhookId: 'hook-1',
    kind: 'REALTIME',
    accountId,
    attemptCount: 0,
    createdAt: new Date(),
    events: [],
  };
}

/** A queue that keeps what was added: job name, id (= delivery id), delay and data. */
function fakeQueue() {
  const added: Array<{ id: string; delay: number; data: Record<string, unknown> }> = [];
  const keep = (job: { data: unknown; opts?: { jobId?: string | number; delay?: number } }) =>
    added.push({
      id: String(job.opts?.jobId),
      delay: job.opts?.delay ?? 0,
      data: job.data as Record<string, unknown>,
    });
  const queue = {
    add: async (_name: string, data: unknown, opts: { jobId?: string; delay?: number }) =>
      keep({ data, opts }),
    addBulk: async (jobs: Array<{ data: unknown; opts?: { jobId?: string; delay?: number } }>) =>
      jobs.forEach(keep),
  };
  return { queue: queue as unknown as Queue, added };
}

function driverWith(
  sendClaimed: (claimed: ClaimedRequest) => Promise<ClaimedRequest[]>,
  holdsLock = true,
  claimAgain: () => Promise<ClaimedRequest[]> = async () => [],
) {
  const { queue, added } = fakeQueue();
  const sent: string[] = [];
  const deliver = {
    sendClaimed: async (claimed: ClaimedRequest) => {
      sent.push(claimed.deliveryId);
      return sendClaimed(claimed);
    },
  } as unknown as DeliverDeliveryUseCase;
  const fairShare = new AccountFairShare({ slotsPerAccount: 10, minDeferralMs: 50, maxDeferralMs: 1_000 });
  const metrics = new Metrics();
  const identity = new LaneDriverIdentity();
  identity.holdsLock = holdsLock;
  const claims: string[] = [];
  const advancer = {
    claim: async (lane: { webhookId: string }) => {
      claims.push(lane.webhookId);
      return claimAgain();
    },
  } as unknown as LaneAdvancer;
  const driver = new LaneDriver(deliver, advancer, queue, fairShare, identity, metrics);
  return { driver, sent, added, metrics, claims };
}

describe('LaneDriver: a lane goes on in the process that holds it', () => {
  it('sends each next request the previous one claimed, one after another, with no queue job', async () => {
    const chain: Record<string, ClaimedRequest[]> = { d1: [request('d2')], d2: [request('d3')], d3: [] };
    const { driver, sent, added, metrics } = driverWith(async (claimed) => chain[claimed.deliveryId]);

    await driver.drive([request('d1')]);

    expect(sent).toEqual(['d1', 'd2', 'd3']);
    expect(added).toEqual([]);
    expect((await metrics.laneContinuations.get()).values[0].value).toBe(3);
  });

  it('queues the requests beyond the first (maxInFlight > 1) and drives the first', async () => {
    const { driver, sent, added } = driverWith(async () => []);

    await driver.drive([request('d1'), request('d2'), request('d3')]);

    expect(sent).toEqual(['d1']);
    expect(added.map((job) => [job.id, job.delay])).toEqual([
      ['d2', 0],
      ['d3', 0],
    ]);
  });

  it('hands a retry to the queue with the delay the failed attempt asked for, and stops driving', async () => {
    const { driver, sent, added } = driverWith(async (claimed) => {
      if (claimed.deliveryId === 'd2')
        throw new RetryDeliveryError('attempt 1 failed: HTTP 503', 1_500, true);
      return [request('d2')];
    });

    await driver.drive([request('d1')]);

    expect(sent).toEqual(['d1', 'd2']);
    expect(added).toEqual([{ id: 'd2', delay: 1_500, data: { deliveryId: 'd2' } }]);
  });

  it('counts an unexpected error as the deliver job does (the database away is not counted)', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const bug = new TypeError('bug');
    const errors: Record<string, Error> = { a: bug, b: down };
    const { driver, added } = driverWith(async (claimed) => {
      throw errors[claimed.deliveryId];
    });

    await driver.drive([request('a')]);
    await driver.drive([request('b')]);

    expect(added).toEqual([
      { id: 'a', delay: unexpectedErrorRetryMs(1), data: { deliveryId: 'a', unexpectedErrors: 1 } },
      { id: 'b', delay: unexpectedErrorRetryMs(1), data: { deliveryId: 'b' } },
    ]);
  });

  it(`ends a lane's turn after ${LANE_TURN_MAX_REQUESTS} requests: the next one goes to the back of the queue`, async () => {
    let sequence = 0;
    const { driver, sent, added } = driverWith(async () => [request(`d${++sequence}`)]);

    await driver.drive([request('d0')]);

    expect(sent).toHaveLength(LANE_TURN_MAX_REQUESTS);
    expect(added).toEqual([
      { id: `d${LANE_TURN_MAX_REQUESTS}`, delay: 0, data: { deliveryId: `d${LANE_TURN_MAX_REQUESTS}` } },
    ]);
  });

  it('hands the next request to the queue once shutdown has begun', async () => {
    const { driver, sent, added } = driverWith(async () => {
      driver.beforeApplicationShutdown();
      return [request('d2')];
    });

    await driver.drive([request('d1')]);

    expect(sent).toEqual(['d1']);
    expect(added.map((job) => job.id)).toEqual(['d2']);
  });

  it('never throws when the queue is away: the requests stay committed for the relay', async () => {
    const { driver } = driverWith(async () => {
      throw new RetryDeliveryError('retry', 100, true);
    });
    (driver as unknown as { queue: Queue }).queue.add = async () => {
      throw new Error('Connection is closed.');
    };

    await expect(driver.drive([request('d1')])).resolves.toBeUndefined();
  });

  it('sends nothing from memory while it does not hold its driver lock: the request goes to its job', async () => {
    const { driver, sent, added } = driverWith(async () => [], false);

    await driver.drive([request('d1')]);

    expect(sent).toEqual([]);
    expect(added).toEqual([{ id: 'd1', delay: 0, data: { deliveryId: 'd1' } }]);
  });

  it('claims again when events were announced for its lane while it sent the last request', async () => {
    let announced = false;
    const { driver, sent, claims } = driverWith(
      async (claimed) => {
        if (claimed.deliveryId === 'd1')
          expect(driver.noteMoreWork({ webhookId: 'hook-1', kind: 'REALTIME' })).toBe(true);
        return [];
      },
      true,
      async () => (announced ? [] : ((announced = true), [request('d2')])),
    );

    await driver.drive([request('d1')]);

    expect(sent).toEqual(['d1', 'd2']);
    expect(claims).toEqual(['hook-1']);
    // Done driving: the next announcement is the listener's to act on.
    expect(driver.noteMoreWork({ webhookId: 'hook-1', kind: 'REALTIME' })).toBe(false);
  });

  it('does not take a failed claim after an announcement for the sent request’s error', async () => {
    const { driver, sent, added } = driverWith(
      async () => {
        driver.noteMoreWork({ webhookId: 'hook-1', kind: 'REALTIME' });
        return [];
      },
      true,
      async () => {
        throw new Error('connection terminated');
      },
    );

    await driver.drive([request('d1')]);

    expect(sent).toEqual(['d1']);
    expect(added).toEqual([]); // d1 was recorded: nothing to queue again
  });
});
