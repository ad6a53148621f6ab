/**
 * The whole way, as users see it: an Integration Admin creates a webhook through the admin API, an LMS
 * produces an event to Kafka, and a real listener on 127.0.0.1 receives exactly the documented body,
 * once. All three apps run as real processes against the real broker, Postgres and Redis.
 */
import { randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  AppProcess,
  connectLmsProducer,
  createTestDatabase,
  mintAdminToken,
  stackEnv,
  startAppProcess,
  startListener,
  stopAppProcess,
  TestDatabase,
  TestListener,
  uniqueKafkaNames,
  waitFor,
} from '@lms/testing';

describe('walking skeleton: LMS event → Kafka → ingestion → dispatcher → listener', () => {
  const kafkaNames = uniqueKafkaNames('skeleton');
  let database: TestDatabase;
  let env: Record<string, string>;
  const apps: AppProcess[] = [];
  let listener: TestListener;
  let producer: Producer;
  let sql: Client;

  beforeAll(async () => {
    database = await createTestDatabase('skeleton');
    env = stackEnv({ databaseUrl: database.url, topic: kafkaNames.topic, group: kafkaNames.group });
    listener = await startListener(() => ({ status: 202 }));
    // Admin API first: it migrates the fresh database; the others then find the schema current.
    apps.push(await startAppProcess('admin-api', env));
    apps.push(
      ...(await Promise.all([startAppProcess('event-ingestion', env), startAppProcess('dispatcher', env)])),
    );
    producer = await connectLmsProducer();
    sql = new Client({ connectionString: database.url });
    await sql.connect();
  }, 120_000);

  afterAll(async () => {
    await sql?.end();
    await producer?.disconnect();
    await Promise.all(apps.map((app) => stopAppProcess(app)));
    await listener?.close();
    await database?.drop();
  });

  const admin = () => apps.find((app) => app.name === 'admin-api')!;

  async function createWebhook(accountId: number, events: string[]): Promise<{ id: string }> {
    const token = mintAdminToken({ secret: env.ADMIN_JWT_SECRET }, { accountId });
    const response = await fetch(`http://127.0.0.1:${admin().port}/api/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `skeleton-${randomUUID()}`,
        targetUrl: listener.url,
        authentication: { type: 'NONE' },
        events,
        active: true,
      }),
    });
    expect(response.status).toBe(201);
    return (await response.json()) as { id: string };
  }

  const carries = (request: { body: string }, eventId: string) =>
    (JSON.parse(request.body) as { events: Array<{ eventId: string }> }).events.some(
      (event) => event.eventId === eventId,
    );

  async function produce(...events: Array<ReturnType<typeof lmsEvent>>): Promise<void> {
    await producer.send({
      topic: kafkaNames.topic,
      messages: events.map((event) => ({ key: String(event.accountId), value: JSON.stringify(event) })),
    });
  }

  function lmsEvent(accountId: number) {
    return {
      accountId,
      eventId: randomUUID(),
      eventName: 'COURSE_ENROLLMENT',
      timestamp: 1727414643000,
      eventInfo: '1727414643000-047210-84242-0',
      data: {
        userId: 4279332,
        loId: 'course:7374992',
        loInstanceId: 'course:7376092_10250977',
        loType: 'course',
        enrollmentSource: 'SELF_ENROLL',
        dateEnrolled: 1727414643,
        addedByTheLmsLater: { kept: true },
      },
    };
  }

  it('delivers exactly the documented envelope, once', async () => {
    const webhook = await createWebhook(1010, ['COURSE_ENROLLMENT']);
    const event = lmsEvent(1010);
    await produce(event);

    const [request] = await listener.waitForRequests(1, 60_000);
    const { accountId, ...envelopeEvent } = event;
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ accountId, events: [envelopeEvent] });
    expect(request.headers['webhook-id']).toMatch(/^[0-9a-f-]{36}$/);

    // Once: a marker event with the same key (same partition, same lane, one request in flight) can
    // only arrive after everything the first event caused: a repeat of its request, a retry, or a
    // second delivery of it. No pause on the clock: the marker's arrival is the point to look.
    const marker = lmsEvent(1010);
    await produce(marker);
    await waitFor('the marker event at the listener', () =>
      listener.requests.some((request) => carries(request, marker.eventId)),
    );
    expect(listener.requests.filter((request) => carries(request, event.eventId))).toHaveLength(1);
    expect(webhook.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends nothing for an account without webhooks', async () => {
    const before = listener.requests.length;
    const orphan = lmsEvent(2020);
    const marker = lmsEvent(1010);
    // The marker proves the pipeline moved on; the database proves the orphan was consumed, not lost.
    await produce(orphan, marker);
    await listener.waitForRequests(before + 1, 60_000);
    // The orphan may sit on another partition than the marker: wait until it is stored. Its lane items
    // and deliveries would be written in the same transaction, so none then means none will ever be
    // sent (no pause on the clock).
    await waitFor('the orphan event stored', async () => {
      const stored = await sql.query(
        'SELECT count(*)::int AS n FROM events WHERE account_id = 2020 AND event_id = $1',
        [orphan.eventId],
      );
      return stored.rows[0].n === 1;
    });
    const work = await sql.query(
      `SELECT (SELECT count(*)::int FROM lane_waiting_items WHERE account_id = 2020) AS items,
              (SELECT count(*)::int FROM deliveries WHERE account_id = 2020) AS deliveries`,
    );
    expect(work.rows[0]).toEqual({ items: 0, deliveries: 0 });
    const received = listener.requests.slice(before).map((r) => JSON.parse(r.body) as { accountId: number });
    expect(received.map((body) => body.accountId)).toEqual([1010]);
  });

  // Last: it stops the stack. Each app closes its consumers, queues and pools, then exits 0.
  it('stops every app cleanly on SIGTERM (exit code 0)', async () => {
    const codes = await Promise.all(apps.map((app) => stopAppProcess(app, 'SIGTERM')));
    expect(Object.fromEntries(apps.map((app, index) => [app.name, codes[index]]))).toEqual({
      'admin-api': 0,
      'event-ingestion': 0,
      dispatcher: 0,
    });
  });
});
