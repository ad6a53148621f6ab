import { TraceFlags, type SpanContext } from '@opentelemetry/api';

const TRACE_PARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/**
 * A W3C `traceparent` header value as a remote span context; undefined when it is not one (bad
 * format, version ff, an all-zero trace or span id). Future versions may append fields: they are ignored.
 */
export function parseTraceParent(value: string | undefined | null): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACE_PARENT.exec(value.trim().toLowerCase());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags] = match;
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The `traceparent` value of a span context (version 00). */
export function formatTraceParent(context: SpanContext): string {
  const flags = (context.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined;

/** A header of a Kafka record as text (the first value when repeated); header names match case-insensitively. */
export function recordHeader(headers: RecordHeaders, name: string): string | undefined {
  if (headers === undefined) return undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  if (key === undefined) return undefined;
  const raw = headers[key];
  const first = Array.isArray(raw) ? raw[0] : raw;
  return first === undefined ? undefined : first.toString();
}

/** The distinct trace contexts the events carry (an optional `traceParent` field), in order. */
export function traceParentsOf(events: readonly object[]): SpanContext[] {
  const seen = new Set<string>();
  const contexts: SpanContext[] = [];
  for (const event of events) {
    const value = (event as { traceParent?: unknown }).traceParent;
    if (typeof value !== 'string' || seen.has(value)) continue;
    seen.add(value);
    const context = parseTraceParent(value);
    if (context !== undefined) contexts.push(context);
  }
  return contexts;
}
