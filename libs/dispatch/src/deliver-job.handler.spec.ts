import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import type { DeliverJobData } from '@lms/queue-contract';
import type { ClaimedRequest, LaneKey } from '@lms/webhook-domain';
import type { Job } from 'bull';
import type { DeliverDeliveryUseCase } from './deliver-delivery.use-case';
import { DeliverJobHandler } from './deliver-job.handler';
import type { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import type { LaneAdvancer } from './lane-advancer';
import type { LaneDriver } from './lane-driver';
import { isInfrastructureError, RetryDeliveryError, unexpectedErrorRetryMs } from './retry-delivery-error';

const LANE: LaneKey = { webhookId: 'webhook-1', kind: 'REALTIME' };
const NEXT: ClaimedRequest = {
  ...LANE,
  deliveryId: 'delivery-next',
  accountId: 1,
  attemptCount: 0,
  createdAt: new Date(),
  events: [],
};

/** A Bull job as the worker hands it over; `update` persists the data as Bull does (in Redis). */
function jobOf(data: DeliverJobData): Job<DeliverJobData> & { data: DeliverJobData } {
  const job = {
    data,
    update: jest.fn(async (next: DeliverJobData) => {
      job.data = next;
    }),
  };
  return job as unknown as Job<DeliverJobData> & { data: DeliverJobData };
}

function setUp(execute: () => Promise<unknown>, maxUnexpectedErrors = 3) {
  const metrics = new Metrics();
  const giveUp = jest.fn(async () => ({ lane: LANE, gaveUp: true }));
  const advance = jest.fn(async (): Promise<ClaimedRequest[]> => [NEXT]);
  const drive = jest.fn(async () => undefined);
  const handler = new DeliverJobHandler(
    { execute: jest.fn(execute) } as unknown as DeliverDeliveryUseCase,
    { giveUp } as unknown as DeliveryOutcomeWriter,
    { claim: advance } as unknown as LaneAdvancer,
    { drive } as unknown as LaneDriver,
    metrics,
    { maxUnexpectedErrors } as DispatcherConfig,
  );
  const counted = async (counter: 'deliveriesGivenUp' | 'deliveryUnexpectedErrors') =>
    (await metrics[counter].get()).values.map((value) => [value.labels.error, value.value]);
  return { handler, giveUp, advance, drive, counted };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('DeliverJobHandler: no delivery is retried for ever on an unexpected error', () => {
  it('retries an unexpected error with a growing delay, then makes the delivery DEAD and moves its lane on', async () => {
    const { handler, giveUp, advance, drive, counted } = setUp(async () => {
      throw new RangeError('Invalid string length');
    });
    const job = jobOf({ deliveryId: 'delivery-1' });

    const first = await failureOf(handler.handle(job));
    const second = await failureOf(handler.handle(job));
    expect(first).toBeInstanceOf(RetryDeliveryError);
    expect(first).toMatchObject({
      message: 'unexpected error 1 of 3: Invalid string length',
      retryInMs: unexpectedErrorRetryMs(1),
    });
    expect(second).toMatchObject({ retryInMs: unexpectedErrorRetryMs(2) });
    expect(unexpectedErrorRetryMs(2)).toBeGreaterThan(unexpectedErrorRetryMs(1));
    expect(job.data.unexpectedErrors).toBe(2);
    expect(giveUp).not.toHaveBeenCalled();

    expect(await handler.handle(job)).toBe('dead');
    expect(giveUp).toHaveBeenCalledWith(
      'delivery-1',
      'RangeError: gave up after 3 unexpected errors: Invalid string length',
    );
    expect(advance).toHaveBeenCalledWith(LANE);
    expect(drive).toHaveBeenCalledWith([NEXT]);
    expect(await counted('deliveriesGivenUp')).toEqual([['RangeError', 1]]);
    expect(await counted('deliveryUnexpectedErrors')).toEqual([['RangeError', 3]]);
  });

  it('goes on counting from the job data (a restart, another replica): the last allowed error gives up', async () => {
    const { handler, giveUp } = setUp(async () => {
      throw new Error('boom');
    }, 5);
    expect(await handler.handle(jobOf({ deliveryId: 'delivery-2', unexpectedErrors: 4 }))).toBe('dead');
    expect(giveUp).toHaveBeenCalledTimes(1);
  });

  it('counts unexpected errors in a row: an attempt recorded in between starts the count again, a deferral does not', async () => {
    let next: () => Promise<never> = async () => {
      throw new Error('hiccup');
    };
    const { handler, giveUp } = setUp(() => next(), 2);
    const job = jobOf({ deliveryId: 'delivery-6' });
    await failureOf(handler.handle(job));
    expect(job.data.unexpectedErrors).toBe(1);
    next = async () => {
      throw new RetryDeliveryError('account holds its share', 1_000);
    };
    await failureOf(handler.handle(job));
    expect(job.data.unexpectedErrors).toBe(1);
    next = async () => {
      throw new RetryDeliveryError('attempt 2 failed: HTTP 503', 10_000, true);
    };
    await failureOf(handler.handle(job));
    expect(job.data.unexpectedErrors).toBe(0);
    next = async () => {
      throw new Error('hiccup');
    };
    expect(await failureOf(handler.handle(job))).toBeInstanceOf(RetryDeliveryError);
    expect(giveUp).not.toHaveBeenCalled();
  });

  it('leaves a planned retry (a failed attempt, a rate limit) alone: it is not counted', async () => {
    const planned = new RetryDeliveryError('attempt 1 failed: HTTP 500', 5_000);
    const { handler, giveUp, counted } = setUp(async () => {
      throw planned;
    }, 1);
    const job = jobOf({ deliveryId: 'delivery-3' });
    expect(await failureOf(handler.handle(job))).toBe(planned);
    expect(job.data.unexpectedErrors).toBeUndefined();
    expect(giveUp).not.toHaveBeenCalled();
    expect(await counted('deliveryUnexpectedErrors')).toEqual([]);
  });

  it('never gives a delivery up because the database is unreachable: the error goes up as it is, uncounted', async () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const { handler, giveUp } = setUp(async () => {
      throw down;
    }, 1);
    const job = jobOf({ deliveryId: 'delivery-4' });
    expect(await failureOf(handler.handle(job))).toBe(down);
    expect(job.data.unexpectedErrors).toBeUndefined();
    expect(giveUp).not.toHaveBeenCalled();
  });

  it('ends the job even when the lane of the given-up delivery cannot move (the relay moves it later)', async () => {
    const { handler, advance } = setUp(async () => {
      throw new TypeError('bug');
    }, 1);
    advance.mockRejectedValueOnce(new TypeError('bug in the lane step'));
    expect(await handler.handle(jobOf({ deliveryId: 'delivery-5' }))).toBe('dead');
  });
});

describe('DeliverJobHandler: the lane goes on from the job', () => {
  it('drives the lane’s next requests the delivery’s outcome claimed, then answers the delivery’s result', async () => {
    const { handler, drive } = setUp(async () => ({ result: 'succeeded', next: [NEXT] }));
    expect(await handler.handle(jobOf({ deliveryId: 'delivery-7' }))).toBe('succeeded');
    expect(drive).toHaveBeenCalledWith([NEXT]);
  });
});

describe('isInfrastructureError', () => {
  it('knows a lost database or Redis from an error about the delivery', () => {
    const sqlState = (code: string) => Object.assign(new Error('query failed'), { code });
    expect(isInfrastructureError(sqlState('57P01'))).toBe(true); // admin shutdown
    expect(isInfrastructureError(sqlState('08006'))).toBe(true); // connection failure
    expect(isInfrastructureError(sqlState('40P01'))).toBe(true); // deadlock
    expect(isInfrastructureError({ driverError: { code: '53300' } })).toBe(true); // too many connections
    expect(isInfrastructureError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isInfrastructureError(sqlState('22021'))).toBe(false); // the row's content
    expect(isInfrastructureError(sqlState('P0001'))).toBe(false); // raised by a trigger
    expect(isInfrastructureError(new RangeError('Invalid string length'))).toBe(false);
  });
});
