/**
 * One trace from the LMS to the listener (issue 17): an LMS that traces produces an event whose Kafka
 * record carries the `traceparent` of its producer span; ingestion and the dispatcher run as real
 * processes with OTEL_EXPORTER_OTLP_ENDPOINT set to a loopback OTLP/HTTP receiver, which decodes the
 * protobuf export requests with the official OpenTelemetry proto definitions (ingestion exports
 * protobuf, the default; the dispatcher is set to OTLP/HTTP JSON, so both protocols are covered).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Producer } from 'kafkajs';
import { Client } from 'pg';
import {
  AppProcess,
  connectLmsProducer,
  createTestDatabase,
  mintAdminToken,
  OTLP_SPAN_KIND,
  OtlpReceiver,
  ReceivedRequest,
  ReceivedSpan,
  stackEnv,
  startAppProcess,
  startListener,
  startOtlpReceiver,
  stopAppProcess,
  TestDatabase,
  TestListener,
  uniqueKafkaNames,
  waitFor,
} from '@lms/testing';
import { wireEvent } from '../ingestion/support/lms-wire.factory';

const TRACE_PARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('tracing: one trace from the LMS producer span to the listener', () => {
  const kafkaNames = uniqueKafkaNames('tracing');
  let database: TestDatabase;
  let env: Record<string, string>;
  const apps: AppProcess[] = [];
  let listener: TestListener;
  /** A second webhook for the same event, with trace context headers turned off. */
  let untracedListener: TestListener;
  /** A third, for COURSE_COMPLETED: failing (503) until the many-traces test lets it through. */
  let laneListener: TestListener;
  let receiver: OtlpReceiver;
  let producer: Producer;
  let sql: Client;
  let createWebhook: (
    targetUrl: string,
    settings: object,
  ) => Promise<{ id: string; traceContextHeaders: boolean }>;

  // The LMS's producer span, made up as an LMS that traces would send it.
  const producerTraceId = randomBytes(16).toString('hex');
  const producerSpanId = randomBytes(8).toString('hex');
  const event = {
    accountId: 1717,
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
    },
  };
  let request: ReceivedRequest;
  let untracedRequest: ReceivedRequest;
  let consume: ReceivedSpan;
  let attempt: ReceivedSpan;
  let deliver: ReceivedSpan;
  let untracedDeliver: ReceivedSpan;
  /** The dispatcher's spans of the first webhook's request (the other webhook's are in the same trace). */
  const dispatcherSpans = () =>
    receiver.spans.filter(
      (span) =>
        span.service === 'dispatcher' &&
        span.traceId === producerTraceId &&
        (span.spanId === deliver.spanId ||
          span.parentSpanId === deliver.spanId ||
          span.attributes['webhook.delivery.id'] === deliver.attributes['webhook.delivery.id']),
    );
  const named = (name: string) => {
    const found = dispatcherSpans().filter((span) => span.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  };

  beforeAll(async () => {
    database = await createTestDatabase('tracing');
    env = stackEnv({
      databaseUrl: database.url,
      topic: kafkaNames.topic,
      group: kafkaNames.group,
      // The many-traces request below waits behind a failing one: retried every second.
      extra: { RETRY_SCHEDULE: '1s', RETRY_JITTER_PERCENT: '0' },
    });
    receiver = await startOtlpReceiver();
    listener = await startListener(() => ({ status: 204 }));
    untracedListener = await startListener(() => ({ status: 204 }));
    laneListener = await startListener(() => ({ status: 503 }));
    const traced = { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint };
    // Admin API first (untraced): it migrates the fresh database.
    apps.push(await startAppProcess('admin-api', env));
    apps.push(
      ...(await Promise.all([
        startAppProcess('event-ingestion', traced),
        startAppProcess('dispatcher', { ...traced, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      ])),
    );
    producer = await connectLmsProducer();
    sql = new Client({ connectionString: database.url });
    await sql.connect();

    const admin = apps.find((app) => app.name === 'admin-api')!;
    const token = mintAdminToken({ secret: env.ADMIN_JWT_SECRET }, { accountId: event.accountId });
    createWebhook = async (targetUrl: string, settings: object) => {
      const created = await fetch(`http://127.0.0.1:${admin.port}/api/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `tracing-${randomUUID()}`,
          targetUrl,
          authentication: { type: 'NONE' },
          events: ['COURSE_ENROLLMENT'],
          active: true,
          ...settings,
        }),
      });
      expect(created.status).toBe(201);
      return (await created.json()) as { id: string; traceContextHeaders: boolean };
    };
    expect((await createWebhook(listener.url, {})).traceContextHeaders).toBe(true);
    expect(
      (await createWebhook(untracedListener.url, { traceContextHeaders: false })).traceContextHeaders,
    ).toBe(false);
    // Created before any event, like the others: an ingestion replica learns of a new webhook through
    // the change feed, which may arrive after an event produced the same instant.
    await createWebhook(laneListener.url, { events: ['COURSE_COMPLETED'] });

    await producer.send({
      topic: kafkaNames.topic,
      messages: [
        {
          key: String(event.accountId),
          value: JSON.stringify(event),
          headers: { traceparent: `00-${producerTraceId}-${producerSpanId}-01`, tracestate: 'lms=p1' },
        },
      ],
    });
    [request] = await listener.waitForRequests(1, 60_000);
    [untracedRequest] = await untracedListener.waitForRequests(1, 60_000);
    await receiver.waitForSpans((spans) => {
      consume = spans.find(
        (span) => span.kind === OTLP_SPAN_KIND.CONSUMER && span.traceId === producerTraceId,
      )!;
      deliver = spans.find(
        (span) =>
          span.name === 'webhook deliver' &&
          span.attributes['webhook.delivery.id'] === request.headers['webhook-id'],
      )!;
      untracedDeliver = spans.find(
        (span) =>
          span.name === 'webhook deliver' &&
          span.attributes['webhook.delivery.id'] === untracedRequest.headers['webhook-id'],
      )!;
      attempt = spans.find(
        (span) => span.kind === OTLP_SPAN_KIND.CLIENT && span.parentSpanId === deliver?.spanId,
      )!;
      // The outcome span ends before its parent, the deliver span: both are in once deliver is.
      return (
        consume !== undefined &&
        deliver !== undefined &&
        attempt !== undefined &&
        untracedDeliver !== undefined
      );
    }, 30_000);
  }, 180_000);

  afterAll(async () => {
    await sql?.end();
    await producer?.disconnect();
    await Promise.all(apps.map((app) => stopAppProcess(app)));
    await listener?.close();
    await untracedListener?.close();
    await laneListener?.close();
    await receiver?.close();
    await database?.drop();
  });

  it('exports OTLP/HTTP protobuf by default (decoded with the official definitions), JSON when asked', () => {
    expect(consume.contentType).toBe('application/x-protobuf');
    expect(attempt.contentType).toBe('application/json');
    expect(new Set(receiver.contentTypes)).toEqual(new Set(['application/x-protobuf', 'application/json']));
  });

  it('continues the producer span in ingestion: a CONSUMER span, child of the record traceparent', () => {
    expect(consume).toMatchObject({
      service: 'event-ingestion',
      name: `${kafkaNames.topic} process`,
      traceId: producerTraceId,
      parentSpanId: producerSpanId,
    });
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': kafkaNames.topic,
    });
  });

  it('stores the consume span context with the event', async () => {
    await waitFor('the event stored', async () => {
      const { rows } = await sql.query('SELECT trace_parent FROM events WHERE event_id = $1', [
        event.eventId,
      ]);
      return rows.length === 1;
    });
    const { rows } = await sql.query<{ trace_parent: string }>(
      'SELECT trace_parent FROM events WHERE event_id = $1',
      [event.eventId],
    );
    expect(rows[0].trace_parent).toBe(`00-${producerTraceId}-${consume.spanId}-01`);
  });

  it("sends the request with the traceparent of the dispatcher's CLIENT span", () => {
    const header = String(request.headers.traceparent ?? '');
    expect(header).toMatch(TRACE_PARENT);
    const [, traceId, spanId] = TRACE_PARENT.exec(header)!;
    expect(attempt).toMatchObject({ service: 'dispatcher', name: 'webhook POST', traceId, spanId });
    expect(attempt.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.response.status_code': 204,
      'network.connection.reused': false,
    });
  });

  // The claim (lane_claim, or the delivery loader for a queued attempt) returns each event's stored
  // trace context (and lane_claim its store time, where the lane wait starts): the request's spans continue the first event's trace and link to every one.
  it('the listener sees the producer trace id; the dispatcher spans form the tree under the consume span', () => {
    expect(TRACE_PARENT.exec(String(request.headers.traceparent))?.[1]).toBe(producerTraceId);
    const claim = named('lane claim');
    const wait = named('lane wait');
    const sign = named('webhook sign');
    const outcome = named('webhook outcome');
    const tree = dispatcherSpans()
      .map((span) => ({
        name: span.name,
        kind: span.kind,
        parent:
          span.parentSpanId === consume.spanId
            ? 'consume'
            : span.parentSpanId === deliver.spanId
              ? 'deliver'
              : '?',
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    expect(tree).toEqual([
      { name: 'lane claim', kind: OTLP_SPAN_KIND.INTERNAL, parent: 'consume' },
      { name: 'lane wait', kind: OTLP_SPAN_KIND.INTERNAL, parent: 'consume' },
      { name: 'webhook deliver', kind: OTLP_SPAN_KIND.INTERNAL, parent: 'consume' },
      { name: 'webhook outcome', kind: OTLP_SPAN_KIND.INTERNAL, parent: 'deliver' },
      { name: 'webhook POST', kind: OTLP_SPAN_KIND.CLIENT, parent: 'deliver' },
      { name: 'webhook sign', kind: OTLP_SPAN_KIND.INTERNAL, parent: 'deliver' },
    ]);
    // The request and its attempt link to every event's trace context (here: the one consume span).
    const consumeLink = [{ traceId: producerTraceId, spanId: consume.spanId }];
    expect(deliver.links).toEqual(consumeLink);
    expect(attempt.links).toEqual(consumeLink);
    expect(claim.links).toEqual(consumeLink);
    // In time: the claim, then sign, POST and the outcome write, within the deliver span (to the
    // millisecond: each span reads the clock through its own anchor).
    const inOrder = (earlier: number, later: number) => expect(earlier).toBeLessThanOrEqual(later + 1);
    // The event waited in its lane from its store (ingestion's transaction, inside the consume span) to the claim.
    inOrder(consume.startMs, wait.startMs);
    inOrder(wait.endMs, claim.startMs);
    inOrder(claim.endMs, deliver.startMs);
    inOrder(deliver.startMs, sign.startMs);
    inOrder(sign.endMs, attempt.startMs);
    inOrder(attempt.endMs, outcome.startMs);
    inOrder(outcome.endMs, deliver.endMs);
    expect(outcome.attributes['webhook.delivery.status']).toBe('SUCCEEDED');
  });

  it('the POST span carries the phases of the attempt, read from the socket, in order and within it', () => {
    // A first request to 127.0.0.1 over plain http: a new connection, no DNS lookup, no TLS.
    const phases = attempt.events.map((event) => event.name);
    expect(phases).toEqual(['connect', 'request sent', 'first byte']);
    const times = attempt.events.map((event) => event.atMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeGreaterThanOrEqual(attempt.startMs - 1);
    expect(times[times.length - 1]).toBeLessThanOrEqual(attempt.endMs + 1);
    for (const event of attempt.events) expect(event.attributes['duration.ms']).toEqual(expect.any(Number));
  });

  it('a webhook with trace context headers off gets neither header; its attempt is still traced', () => {
    expect(untracedRequest.headers.traceparent).toBeUndefined();
    expect(untracedRequest.headers.tracestate).toBeUndefined();
    expect(untracedDeliver).toMatchObject({ traceId: producerTraceId, parentSpanId: consume.spanId });
    const untracedPost = receiver.spans.find(
      (span) => span.parentSpanId === untracedDeliver.spanId && span.kind === OTLP_SPAN_KIND.CLIENT,
    );
    expect(untracedPost?.attributes['http.response.status_code']).toBe(204);
  });

  it('records the trace id with the attempt, and the delivery log shows it', async () => {
    const deliveryId = String(request.headers['webhook-id']);
    const { rows } = await sql.query<{ trace_id: string | null }>(
      'SELECT trace_id FROM delivery_attempts WHERE delivery_id = $1',
      [deliveryId],
    );
    expect(rows).toEqual([{ trace_id: producerTraceId }]);
    const admin = apps.find((app) => app.name === 'admin-api')!;
    const token = mintAdminToken({ secret: env.ADMIN_JWT_SECRET }, { accountId: event.accountId });
    const detail = await fetch(`http://127.0.0.1:${admin.port}/api/v1/deliveries/${deliveryId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(detail.status).toBe(200);
    const body = (await detail.json()) as {
      attempts: Array<{ attemptNumber: number; traceId: string | null }>;
    };
    expect(body.attempts).toEqual([expect.objectContaining({ attemptNumber: 1, traceId: producerTraceId })]);
  });

  // A request carries every event waiting in its lane: here two, each ingested under its own producer
  // trace, queued behind a request the listener keeps failing until both are stored.
  it('a request carrying events of many traces continues the first and links to each', async () => {
    const completed = (traceId: string) => {
      const eventId = randomUUID();
      return {
        eventId,
        message: {
          key: String(event.accountId),
          value: JSON.stringify(wireEvent(event.accountId, 'COURSE_COMPLETED', { eventId })),
          headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
        },
      };
    };
    const [blocker, first, second] = [0, 1, 2].map(() => completed(randomBytes(16).toString('hex')));
    const traceOf = (sent: typeof first) => TRACE_PARENT.exec(sent.message.headers.traceparent)![1];
    await producer.send({ topic: kafkaNames.topic, messages: [blocker.message] });
    await laneListener.waitForRequests(1, 60_000);
    await producer.send({ topic: kafkaNames.topic, messages: [first.message, second.message] });
    await waitFor('both events stored', async () => {
      const { rows } = await sql.query('SELECT 1 FROM events WHERE event_id = ANY($1)', [
        [first.eventId, second.eventId],
      ]);
      return rows.length === 2;
    });
    laneListener.behave(() => ({ status: 204 }));
    const carrying = await waitFor(
      'the request carrying both',
      () => laneListener.requests.find((received) => received.body.includes(first.eventId)),
      60_000,
    );
    expect(carrying.body).toContain(second.eventId);
    const consumeOf = (sent: typeof first) =>
      receiver.spans.find((span) => span.kind === OTLP_SPAN_KIND.CONSUMER && span.traceId === traceOf(sent));
    const deliverOf = () =>
      receiver.spans.find(
        (span) =>
          span.name === 'webhook deliver' &&
          span.attributes['webhook.delivery.id'] === carrying.headers['webhook-id'],
      );
    await receiver.waitForSpans(
      () => [consumeOf(first), consumeOf(second), deliverOf()].every(Boolean),
      30_000,
    );
    const [consumeFirst, consumeSecond, manyDeliver] = [consumeOf(first)!, consumeOf(second)!, deliverOf()!];

    expect(TRACE_PARENT.exec(String(carrying.headers.traceparent))?.[1]).toBe(traceOf(first));
    expect(manyDeliver).toMatchObject({ traceId: traceOf(first), parentSpanId: consumeFirst.spanId });
    expect(manyDeliver.links).toEqual([
      { traceId: traceOf(first), spanId: consumeFirst.spanId },
      { traceId: traceOf(second), spanId: consumeSecond.spanId },
    ]);
  });
});
