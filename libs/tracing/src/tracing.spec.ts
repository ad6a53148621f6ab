import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import {
  ConsumeSpans,
  flushTracing,
  parseTraceParent,
  shutdownTracing,
  startTracing,
  tracingEnabled,
  DeliveryTrace,
} from './index';

const PRODUCER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PRODUCER_SPAN = '00f067aa0ba902b7';
const OTHER_TRACE = 'a'.repeat(32);
const OTHER_SPAN = 'b'.repeat(16);

/** Tracing on, spans kept in memory (the OTLP export itself is covered by test/tracing, e2e). */
describe('tracing on', () => {
  const exporter = new InMemorySpanExporter();

  beforeAll(() => {
    expect(startTracing('unit', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, { exporter })).toBe(
      true,
    );
    expect(tracingEnabled()).toBe(true);
  });
  beforeEach(() => exporter.reset());
  afterAll(() => shutdownTracing());

  it('continues record traceparents in CONSUMER spans, and starts a trace for a record without one', async () => {
    const spans = new ConsumeSpans('lms.events', 3);
    const traced = {
      offset: '41',
      headers: { traceparent: Buffer.from(`00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01`) },
    };
    const stored = spans.traceParentOf(traced);
    expect(spans.traceParentOf(traced)).toBe(stored); // one span per record, however many events
    const untraced = spans.traceParentOf({ offset: '42' });
    await spans.endAfter(Promise.resolve());
    await flushTracing();

    const child = parseTraceParent(stored)!;
    expect(child.traceId).toBe(PRODUCER_TRACE);
    expect(parseTraceParent(untraced)!.traceId).not.toBe(PRODUCER_TRACE);
    const exported = exporter.getFinishedSpans();
    expect(exported.map((span) => span.kind)).toEqual([SpanKind.CONSUMER, SpanKind.CONSUMER]);
    const consume = exported.find((span) => span.spanContext().spanId === child.spanId)!;
    expect(consume.resource.attributes['service.name']).toBe('unit');
    expect(consume.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(consume.attributes).toMatchObject({
      'messaging.destination.name': 'lms.events',
      'messaging.kafka.offset': 41,
    });
  });

  it('marks the consume spans failed when the store fails', async () => {
    const spans = new ConsumeSpans('lms.events', 0);
    spans.traceParentOf({ offset: '1' });
    await expect(spans.endAfter(Promise.reject(new Error('insert failed')))).rejects.toThrow('insert failed');
    await flushTracing();
    expect(exporter.getFinishedSpans().map((span) => span.status)).toEqual([
      { code: SpanStatusCode.ERROR, message: 'insert failed' },
    ]);
  });

  function spanNamed(name: string) {
    const found = exporter.getFinishedSpans().filter((span) => span.name === name);
    expect(found).toHaveLength(1);
    return found[0];
  }

  it('traces a claimed request: lane wait, claim, then deliver with sign, POST and outcome, in the first event trace', async () => {
    const contexts = [
      parseTraceParent(`00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01`)!,
      parseTraceParent(`00-${OTHER_TRACE}-${OTHER_SPAN}-01`)!,
    ];
    const committedAt = new Date('2026-12-07T10:00:00.000Z');
    const SECONDS = committedAt.getTime() / 1000; // OTel times are [seconds, nanoseconds]
    const claim = {
      startedAt: new Date('2026-12-07T10:00:00.250Z'),
      endedAt: new Date('2026-12-07T10:00:00.260Z'),
    };
    const t0 = Date.now();
    const timings = {
      start: t0,
      newConnection: true,
      dnsStart: t0 + 1,
      dnsEnd: t0 + 3,
      connectStart: t0 + 1,
      connectEnd: t0 + 5,
      tlsEnd: t0 + 9,
      requestSent: t0 + 10,
      firstByte: t0 + 30,
    };
    let headers: Record<string, string> = {};
    let activeTraceId: string | undefined;
    const attempt = DeliveryTrace.start({
      eventContexts: contexts,
      attributes: { 'webhook.id': 'w1' },
      claim,
      committedAt,
    });
    await attempt.run(async () => {
      activeTraceId = trace.getSpan(context.active())?.spanContext().traceId;
      attempt.sign(() => undefined);
      await attempt.post(true, async (traceHeaders) => {
        headers = traceHeaders;
        return { statusCode: 503, error: 'HTTP 503', timings };
      });
      await attempt.outcome('RETRYING', async () => undefined);
    });
    attempt.end();
    await flushTracing();

    const [wait, claimed, deliver, sign, post, outcome] = [
      'lane wait',
      'lane claim',
      'webhook deliver',
      'webhook sign',
      'webhook POST',
      'webhook outcome',
    ].map(spanNamed);
    expect(attempt.traceId).toBe(PRODUCER_TRACE);
    expect(activeTraceId).toBe(PRODUCER_TRACE);
    for (const span of [wait, claimed, deliver]) {
      expect(span.spanContext().traceId).toBe(PRODUCER_TRACE);
      expect(span.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    }
    for (const span of [sign, post, outcome]) {
      expect(span.parentSpanContext?.spanId).toBe(deliver.spanContext().spanId);
    }
    // The lane wait runs from the commit to the claim; the claim to its answer here.
    expect([wait.startTime, wait.endTime]).toEqual([
      [SECONDS, 0],
      [SECONDS, 250_000_000],
    ]);
    expect([claimed.startTime, claimed.endTime]).toEqual([
      [SECONDS, 250_000_000],
      [SECONDS, 260_000_000],
    ]);
    for (const span of [deliver, post]) {
      expect(span.links.map((link) => link.context)).toEqual([
        expect.objectContaining({ traceId: PRODUCER_TRACE, spanId: PRODUCER_SPAN }),
        expect.objectContaining({ traceId: OTHER_TRACE, spanId: OTHER_SPAN }),
      ]);
    }
    expect(post.kind).toBe(SpanKind.CLIENT);
    expect(parseTraceParent(headers.traceparent)).toMatchObject({
      traceId: PRODUCER_TRACE,
      spanId: post.spanContext().spanId,
    });
    expect(post.attributes).toMatchObject({
      'http.response.status_code': 503,
      'network.connection.reused': false,
    });
    expect(post.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
    expect(post.events.map((event) => [event.name, event.attributes?.['duration.ms']])).toEqual([
      ['dns', 2],
      ['connect', 2],
      ['tls', 4],
      ['request sent', 10],
      ['first byte', 20],
    ]);
    expect(outcome.attributes).toEqual({ 'webhook.delivery.status': 'RETRYING' });
    expect(deliver.attributes).toMatchObject({ 'webhook.id': 'w1', 'webhook.delivery.status': 'RETRYING' });
  });

  it('a queued attempt has no lane spans; a webhook that turned trace headers off gets none', async () => {
    let headers: Record<string, string> = { untouched: 'yes' };
    const attempt = DeliveryTrace.start({ eventContexts: [], attributes: {} });
    await attempt.post(false, async (traceHeaders) => {
      headers = traceHeaders;
      return { statusCode: 200, error: null };
    });
    attempt.end();
    await flushTracing();
    expect(headers).toEqual({});
    expect(exporter.getFinishedSpans().map((span) => span.name)).toEqual(['webhook POST', 'webhook deliver']);
    // A trace of its own: the events carried no trace context.
    const deliver = spanNamed('webhook deliver');
    expect(deliver.parentSpanContext).toBeUndefined();
    expect(deliver.links).toEqual([]);
    expect(attempt.traceId).toBe(deliver.spanContext().traceId);
  });

  it('marks the attempt failed when it throws', async () => {
    const attempt = DeliveryTrace.start({ eventContexts: [], attributes: {} });
    await expect(
      attempt.outcome('SUCCEEDED', () => Promise.reject(new Error('write failed'))),
    ).rejects.toThrow('write failed');
    attempt.end(new Error('write failed'));
    await flushTracing();
    expect(spanNamed('webhook outcome').status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'write failed',
    });
    expect(spanNamed('webhook deliver').status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'write failed',
    });
  });
});
