import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ConsumeSpans,
  formatTraceParent,
  parseTraceParent,
  recordHeader,
  startTracing,
  traceParentsOf,
  tracingEnabled,
  DeliveryTrace,
} from './index';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const TRACE_PARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('trace context', () => {
  it('parses and formats a W3C traceparent', () => {
    expect(parseTraceParent(TRACE_PARENT)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      isRemote: true,
    });
    expect(formatTraceParent(parseTraceParent(TRACE_PARENT)!)).toBe(TRACE_PARENT);
    expect(parseTraceParent(`01-${TRACE_ID}-${SPAN_ID}-00-future`)?.traceFlags).toBe(0);
  });

  it.each([
    undefined,
    '',
    'garbage',
    `00-${'0'.repeat(32)}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
    `ff-${TRACE_ID}-${SPAN_ID}-01`,
    `00-${TRACE_ID}-${SPAN_ID}-01-extra`,
    `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`,
  ])('refuses %p', (value) => {
    expect(parseTraceParent(value)).toBeUndefined();
  });

  it('reads a record header as text, any case, the first of repeated values', () => {
    expect(recordHeader({ TraceParent: Buffer.from(TRACE_PARENT) }, 'traceparent')).toBe(TRACE_PARENT);
    expect(recordHeader({ traceparent: [TRACE_PARENT, 'other'] }, 'traceparent')).toBe(TRACE_PARENT);
    expect(recordHeader(undefined, 'traceparent')).toBeUndefined();
    expect(recordHeader({ other: 'x' }, 'traceparent')).toBeUndefined();
  });

  it('collects the distinct valid trace contexts of events, in order', () => {
    const other = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const contexts = traceParentsOf([
      { traceParent: TRACE_PARENT },
      { traceParent: null },
      {},
      { traceParent: other },
      { traceParent: TRACE_PARENT },
      { traceParent: 'bad' },
    ]);
    expect(contexts.map((context) => context.traceId)).toEqual([TRACE_ID, 'a'.repeat(32)]);
  });
});

describe('tracing off (no OTLP endpoint)', () => {
  it('starts nothing', () => {
    expect(startTracing('test', { OTEL_SERVICE_NAME: 'x' })).toBe(false);
    expect(tracingEnabled()).toBe(false);
  });

  it('stores a record traceparent unchanged and nothing when the header is missing or invalid', async () => {
    const spans = new ConsumeSpans('lms.events', 0);
    expect(spans.traceParentOf({ offset: '1', headers: { traceparent: Buffer.from(TRACE_PARENT) } })).toBe(
      TRACE_PARENT,
    );
    expect(spans.traceParentOf({ offset: '2', headers: { traceparent: 'nope' } })).toBeUndefined();
    expect(spans.traceParentOf({ offset: '3' })).toBeUndefined();
    await expect(spans.endAfter(Promise.resolve(7))).resolves.toBe(7);
    await expect(spans.endAfter(Promise.reject(new Error('store failed')))).rejects.toThrow('store failed');
  });

  it('sends an attempt without trace headers, spans or trace id', async () => {
    const seen: Array<Record<string, string>> = [];
    const attempt = DeliveryTrace.start({ eventContexts: [parseTraceParent(TRACE_PARENT)!], attributes: {} });
    const result = await attempt.run(async () => {
      expect(attempt.sign(() => 'signed')).toBe('signed');
      const sent = await attempt.post(true, async (headers) => {
        seen.push(headers);
        return { statusCode: 200, error: null };
      });
      return attempt.outcome('SUCCEEDED', async () => sent);
    });
    attempt.end();
    expect(result.statusCode).toBe(200);
    expect(seen).toEqual([{}]);
    expect(attempt.traceId).toBeNull();
  });
});

describe('documented variables', () => {
  const envExample = readFileSync(path.resolve(__dirname, '../../../.env.example'), 'utf8');
  it.each([
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_SERVICE_NAME',
    'OTEL_TRACES_SAMPLER',
    'OTEL_TRACES_SAMPLER_ARG',
    'OTEL_BSP_SCHEDULE_DELAY',
  ])('%s is listed in .env.example', (name) => {
    expect(envExample).toMatch(new RegExp(`^(# )?${name}=`, 'm'));
  });
});
