import { expectEveryEventDelivered } from './support/delivery-ledger';
import { PrivateRedis, waitFor } from '@lms/testing';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FAULT_RATE, FaultHarness } from './support/fault-harness';

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
    let produced = 0;
    const producing = harness.produceSteady('rr', FAULT_EVENTS, FAULT_RATE, (count) => (produced = count));
    await harness.waitUntilAcknowledged('rr', Math.floor(FAULT_EVENTS * 0.3));
    // Down for 1.5 s worth of load (counted on the broker, not timed): those events are ingested or
    // waiting while no wake-up can be queued, so the relay must rebuild their work from Postgres.
    await redis.restart(async () => {
      const backlog = Math.min(produced + Math.round(1.5 * FAULT_RATE), FAULT_EVENTS);
      await waitFor(`${backlog} events on the broker`, () => produced >= backlog, 120_000, 50);
    });
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
