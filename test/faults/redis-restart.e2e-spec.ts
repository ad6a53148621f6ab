import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';
import { PrivateRedis } from './support/private-redis';

jest.setTimeout(300_000);

describe('fault: Redis restarts (empty) under load', () => {
  let redis: PrivateRedis;
  let harness: FaultHarness;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    harness = await FaultHarness.start({ label: 'redis_restart', dispatchers: 2, redisUrl: redis.url });
  });

  afterAll(async () => {
    await harness?.close();
    await redis?.stop();
  });

  it('rebuilds the lost queue from Postgres (outbox relay) and delivers every event', async () => {
    const producing = harness.produceSteady('rr');
    await harness.waitUntilAcknowledged('rr', Math.floor(FAULT_EVENTS * 0.3));
    await redis.restart();
    await producing;

    const summary = await harness.settle('rr', FAULT_EVENTS);
    await harness.report(
      'rr',
      'Redis SIGKILL + restart without persistence',
      summary,
      DISPATCH_CONCURRENCY * 2,
    );
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY * 2);
    // Every app is still up: none died because its Redis went away.
    for (const app of harness.stack.apps) expect(app.child.exitCode).toBeNull();
  });
});
