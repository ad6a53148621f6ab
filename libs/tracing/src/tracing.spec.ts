import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import {
  ConsumeSpans,
  flushTracing,
  parseTraceParent,
  shutdownTracing,
  startTracing,
  tracingEnabled,
  withAttemptSpan,
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

  it('sends an attempt in a CLIENT span: child of the first event trace, linked to each, its traceparent on the request', async () => {
    const contexts = [
      parseTraceParent(`00-${PRODUCER_TRACE}-${PRODUCER_SPAN}-01`)!,
      parseTraceParent(`00-${OTHER_TRACE}-${OTHER_SPAN}-01`)!,
    ];
    let headers: Record<string, string> = {};
    await withAttemptSpan(contexts, { 'webhook.id': 'w1' }, async (traceHeaders) => {
      headers = traceHeaders;
      return { statusCode: 503, error: 'HTTP 503' };
    });
    await flushTracing();

    const sent = parseTraceParent(headers.traceparent)!;
    const [attempt] = exporter.getFinishedSpans();
    expect(attempt.kind).toBe(SpanKind.CLIENT);
    expect(attempt.spanContext()).toMatchObject({ traceId: PRODUCER_TRACE, spanId: sent.spanId });
    expect(sent.traceId).toBe(PRODUCER_TRACE);
    expect(attempt.parentSpanContext?.spanId).toBe(PRODUCER_SPAN);
    expect(attempt.links.map((link) => link.context)).toEqual([
      expect.objectContaining({ traceId: PRODUCER_TRACE, spanId: PRODUCER_SPAN }),
      expect.objectContaining({ traceId: OTHER_TRACE, spanId: OTHER_SPAN }),
    ]);
    expect(attempt.attributes).toMatchObject({ 'webhook.id': 'w1', 'http.response.status_code': 503 });
    expect(attempt.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
  });

  it('starts a trace of its own for an attempt whose events carry no trace context', async () => {
    let headers: Record<string, string> = {};
    await withAttemptSpan([], {}, async (traceHeaders) => {
      headers = traceHeaders;
      return { statusCode: 200, error: null };
    });
    await flushTracing();
    const [attempt] = exporter.getFinishedSpans();
    expect(headers.traceparent).toBe(
      `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`,
    );
    expect(attempt.parentSpanContext).toBeUndefined();
    expect(attempt.links).toEqual([]);
  });
});
