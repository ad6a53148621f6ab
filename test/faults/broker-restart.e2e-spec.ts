import { expectEveryEventDelivered } from './support/delivery-ledger';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';
import { PrivateKafkaBroker } from './support/private-kafka-broker';

jest.setTimeout(420_000);

describe('fault: the Kafka broker restarts under load', () => {
  let broker: PrivateKafkaBroker;
  let harness: FaultHarness;

  beforeAll(async () => {
    broker = await PrivateKafkaBroker.start();
    harness = await FaultHarness.start({ label: 'broker_restart', dispatchers: 1, brokers: broker.brokers });
  });

  afterAll(async () => {
    await harness?.close();
    await broker?.stopAndRemove();
  });

  it('resumes consuming after the broker is back and delivers every event once', async () => {
    // The producer resends what the stopped broker refused (as an LMS producer with retries would).
    const producing = harness.produceSteady('br');
    await harness.waitUntilAcknowledged('br', Math.floor(FAULT_EVENTS * 0.3));
    await broker.restart();
    await producing;

    const summary = await harness.settle('br', FAULT_EVENTS);
    await harness.report('br', 'broker restart', summary, DISPATCH_CONCURRENCY);
    expectEveryEventDelivered(summary, DISPATCH_CONCURRENCY);
    const [{ events }] = await harness.stack.query<{ events: string }>(
      `SELECT count(*) AS events FROM events WHERE event_id LIKE 'br-%'`,
    );
    expect(Number(events)).toBe(FAULT_EVENTS);
    for (const app of harness.stack.apps) expect(app.child.exitCode).toBeNull();
  });
});
