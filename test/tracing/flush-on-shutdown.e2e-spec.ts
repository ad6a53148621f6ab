/**
 * The last spans are not lost at shutdown (issue 17): the dispatcher runs as a real process whose span
 * batches would leave only after ten minutes (OTEL_BSP_SCHEDULE_DELAY); it sends one request, is
 * stopped with SIGTERM as an orchestrator stops it, and the receiver has that request's spans once the
 * process has exited: closeOnSignals sends what was still buffered before exiting.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { kafkaMessage, wireEvent } from '../ingestion/support/lms-wire.factory';
import {
  AppProcess,
  connectLmsProducer,
  createTestDatabase,
  mintAdminToken,
  OtlpReceiver,
  stackEnv,
  startAppProcess,
  startListener,
  startOtlpReceiver,
  stopAppProcess,
  TestDatabase,
  TestListener,
  uniqueKafkaNames,
} from '@lms/testing';

describe('tracing: the spans still buffered are sent when the dispatcher stops', () => {
  const kafkaNames = uniqueKafkaNames('tracing_flush');
  let database: TestDatabase;
  let receiver: OtlpReceiver;
  let listener: TestListener;
  let producer: Producer;
  let admin: AppProcess;
  let ingestion: AppProcess;
  let dispatcher: AppProcess;
  const producerTraceId = randomBytes(16).toString('hex');
  const accountId = 1718;

  beforeAll(async () => {
    database = await createTestDatabase('tracing_flush');
    const env = stackEnv({ databaseUrl: database.url, topic: kafkaNames.topic, group: kafkaNames.group });
    receiver = await startOtlpReceiver();
    listener = await startListener(() => ({ status: 204 }));
    admin = await startAppProcess('admin-api', env);
    // Ingestion does not trace: it stores the record's own traceparent with the event.
    ingestion = await startAppProcess('event-ingestion', env);
    dispatcher = await startAppProcess('dispatcher', {
      ...env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    producer = await connectLmsProducer();
    const token = mintAdminToken({ secret: env.ADMIN_JWT_SECRET }, { accountId });
    const created = await fetch(`http://127.0.0.1:${admin.port}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `flush-${randomUUID()}`,
        targetUrl: listener.url,
        authentication: { type: 'NONE' },
        events: ['COURSE_ENROLLMENT'],
        active: true,
      }),
    });
    expect(created.status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await producer?.disconnect();
    await Promise.all([admin, ingestion, dispatcher].filter(Boolean).map((app) => stopAppProcess(app)));
    await listener?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('exports the last request spans on SIGTERM, before the process exits 0', async () => {
    await producer.send({
      topic: kafkaNames.topic,
      messages: [
        {
          ...kafkaMessage(accountId, wireEvent(accountId, 'COURSE_ENROLLMENT')),
          headers: { traceparent: `00-${producerTraceId}-${randomBytes(8).toString('hex')}-01` },
        },
      ],
    });
    const [request] = await listener.waitForRequests(1, 60_000);
    expect(String(request.headers.traceparent)).toContain(producerTraceId);
    // Ten minutes before a batch leaves: nothing has been exported yet.
    expect(receiver.spans).toEqual([]);

    expect(await stopAppProcess(dispatcher)).toBe(0);

    const names = receiver.spans
      .filter((span) => span.traceId === producerTraceId && span.service === 'dispatcher')
      .map((span) => span.name)
      .sort();
    expect(names).toEqual([
      'lane claim',
      'lane wait',
      'webhook POST',
      'webhook deliver',
      'webhook outcome',
      'webhook sign',
    ]);
  });
});
