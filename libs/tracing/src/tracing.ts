import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { NodeTracerProvider, SpanExporter } from '@opentelemetry/sdk-trace-node';
import { formatTraceParent, parseTraceParent, recordHeader } from './trace-context';
import { loadTracingConfig } from './tracing-config';

const TRACER_NAME = 'lms-webhooks';
let provider: NodeTracerProvider | undefined;

/**
 * Starts tracing for this process when an OTLP endpoint is set (see loadTracingConfig); otherwise does
 * nothing at all: no provider, no exporter, and every helper below returns without creating a span.
 * Call once, before Nest boots. Returns whether tracing is on.
 */
export function startTracing(
  serviceName: string,
  env: Record<string, string | undefined> = process.env,
  /** Tests: where spans go instead of the OTLP exporter (the endpoint must still be set). */
  options: { exporter?: SpanExporter } = {},
): boolean {
  if (provider !== undefined) return true;
  const config = loadTracingConfig(serviceName, env);
  if (config.tracesUrl === undefined) return false;
  // The SDK and its exporters (~10 MB of resident code) load only when tracing is on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('./tracing-sdk') as typeof import('./tracing-sdk');
  provider = sdk.startTracerProvider(config, options.exporter);
  return true;
}

/** Sends the spans ended so far now (instead of within the second). */
export async function flushTracing(): Promise<void> {
  await provider?.forceFlush();
}

/** Sends the spans still buffered and stops tracing (at shutdown); it may be started again. */
export async function shutdownTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  await stopping?.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
}

export function tracingEnabled(): boolean {
  return provider !== undefined;
}

function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

interface KafkaRecord {
  offset: string;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

/**
 * The CONSUMER spans of one Kafka batch of ingestion: one per record, a child of the record's
 * `traceparent` header when it has one (a new trace otherwise). `traceParentOf(record)` is the trace
 * context stored with the record's events: the consume span's, or, when tracing is off, the record's
 * own header unchanged (so a request can still link to the producer's trace later).
 */
export class ConsumeSpans {
  private readonly spans = new Map<string, Span>();

  constructor(
    private readonly topic: string,
    private readonly partition: number,
  ) {}

  traceParentOf(record: KafkaRecord): string | undefined {
    const header = recordHeader(record.headers, 'traceparent');
    if (provider === undefined) return parseTraceParent(header) === undefined ? undefined : header;
    let span = this.spans.get(record.offset);
    if (span === undefined) {
      const parent = parseTraceParent(header);
      const tracestate = recordHeader(record.headers, 'tracestate');
      const parentContext =
        parent === undefined
          ? ROOT_CONTEXT
          : propagation.extract(ROOT_CONTEXT, { traceparent: header, ...(tracestate ? { tracestate } : {}) });
      span = tracer().startSpan(
        `${this.topic} process`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'process',
            'messaging.destination.name': this.topic,
            'messaging.destination.partition.id': String(this.partition),
            'messaging.kafka.offset': Number(record.offset),
          },
        },
        parentContext,
      );
      this.spans.set(record.offset, span);
    }
    return formatTraceParent(span.spanContext());
  }

  /** Ends every span when the batch's store settles (an error status if it failed). */
  async endAfter<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      for (const span of this.spans.values()) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      }
      throw error;
    } finally {
      for (const span of this.spans.values()) span.end();
      this.spans.clear();
    }
  }
}

/** What an HTTP attempt reports to its span. */
export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  /** When its phases happened (epoch ms), as WebhookHttpSender measures them with `timed`. */
  timings?: PhaseTimings;
}

/** The phases of an HTTP attempt in epoch milliseconds; absent = did not happen (see AttemptTimings). */
export interface PhaseTimings {
  start: number;
  newConnection: boolean;
  dnsStart?: number;
  dnsEnd?: number;
  connectStart?: number;
  connectEnd?: number;
  tlsEnd?: number;
  requestSent?: number;
  firstByte?: number;
}

export interface DeliveryTraceInput {
  /** The distinct trace contexts of the request's events (traceParentsOf), the first one the parent. */
  eventContexts: readonly SpanContext[];
  attributes: Attributes;
  /**
   * A request its lane's claim just created: when the claim's transaction began (the request's
   * created_at) and when its answer reached this dispatcher. Absent for a queued (retried) attempt.
   */
  claim?: { startedAt: Date; endedAt: Date };
  /** When the request's first event was committed, when known: the lane wait runs from it to the claim. */
  committedAt?: Date;
}

/**
 * The spans of one attempt at one request, in the trace of its first event (so the listener continues
 * the producer's trace), each linked to every event's trace context:
 *
 *   <first event's context (ingestion's consume span)>
 *   ├── lane wait      committed → claimed (when the commit time is known)
 *   ├── lane claim     the claim's transaction → its answer here (a request just claimed)
 *   └── webhook deliver           the attempt, links to each event; attributes webhook.*
 *       ├── webhook sign          envelope, headers, signature
 *       ├── webhook POST (CLIENT) its traceparent is what the request carries; events dns / connect /
 *       │                         tls / request sent / first byte, read from the socket
 *       └── webhook outcome       the outcome written (and the lane's next request claimed)
 *
 * Tracing off: every method runs its work and nothing else; traceId is null.
 */
export class DeliveryTrace {
  private constructor(
    private readonly span: Span | undefined,
    private readonly links: Link[],
  ) {}

  static start(input: DeliveryTraceInput): DeliveryTrace {
    if (provider === undefined) return new DeliveryTrace(undefined, []);
    const links: Link[] = input.eventContexts.map((linked) => ({ context: linked }));
    const parent =
      input.eventContexts.length > 0
        ? trace.setSpanContext(ROOT_CONTEXT, input.eventContexts[0])
        : ROOT_CONTEXT;
    if (input.claim !== undefined) {
      const claimStart = input.claim.startedAt.getTime();
      // The database's clock began the claim, this host's clock received it: never end before the start.
      const claimEnd = Math.max(claimStart, input.claim.endedAt.getTime());
      if (input.committedAt !== undefined) {
        const waited = input.committedAt.getTime();
        tracer()
          .startSpan(
            'lane wait',
            { startTime: Math.min(waited, claimStart), links, attributes: input.attributes },
            parent,
          )
          .end(claimStart);
      }
      tracer()
        .startSpan('lane claim', { startTime: claimStart, links, attributes: input.attributes }, parent)
        .end(claimEnd);
    }
    const span = tracer().startSpan('webhook deliver', { attributes: input.attributes, links }, parent);
    return new DeliveryTrace(span, links);
  }

  /** The attempt's trace id (recorded with the attempt); null when tracing is off. */
  get traceId(): string | null {
    return this.span?.spanContext().traceId ?? null;
  }

  /** Runs the attempt with its span active: log lines within carry its trace id. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.span === undefined) return work();
    return context.with(trace.setSpan(context.active(), this.span), work);
  }

  /** Builds and signs the request in a `webhook sign` span. */
  sign<T>(build: () => T): T {
    if (this.span === undefined) return build();
    const span = tracer().startSpan('webhook sign', {}, this.context());
    try {
      return build();
    } finally {
      span.end();
    }
  }

  /**
   * Sends the request in the CLIENT span: `send` gets that span's `traceparent`/`tracestate` headers,
   * or none when `propagate` is false (the webhook turned them off). The attempt's phases become span
   * events at the times they happened.
   */
  async post<T extends AttemptResult>(
    propagate: boolean,
    send: (traceHeaders: Record<string, string>) => Promise<T>,
  ): Promise<T> {
    if (this.span === undefined) return send({});
    const span = tracer().startSpan(
      'webhook POST',
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST' }, links: this.links },
      this.context(),
    );
    const traceHeaders: Record<string, string> = {};
    if (propagate) propagation.inject(trace.setSpan(ROOT_CONTEXT, span), traceHeaders);
    try {
      const result = await send(traceHeaders);
      if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
      if (result.error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error });
      if (result.timings !== undefined) addPhaseEvents(span, result.timings);
      return result;
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Writes the attempt's outcome in a `webhook outcome` span (its status an attribute). */
  async outcome<T>(status: string, write: () => Promise<T>): Promise<T> {
    if (this.span === undefined) return write();
    this.span.setAttribute('webhook.delivery.status', status);
    const span = tracer().startSpan(
      'webhook outcome',
      { attributes: { 'webhook.delivery.status': status } },
      this.context(),
    );
    try {
      return await write();
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Ends the attempt's span; an error that ended the attempt marks it failed. */
  end(error?: unknown): void {
    if (this.span === undefined) return;
    if (error !== undefined) {
      this.span.recordException(error as Error);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    }
    this.span.end();
  }

  private context() {
    return trace.setSpan(ROOT_CONTEXT, this.span!);
  }
}

/**
 * The phases as span events at the instants they happened, each with its duration in milliseconds:
 * `dns` (lookup), `connect` (TCP), `tls` (handshake), `request sent`, `first byte` (from the request
 * sent, or from the start when that is unknown). A reused connection has only the last two.
 */
function addPhaseEvents(span: Span, timings: PhaseTimings): void {
  span.setAttribute('network.connection.reused', !timings.newConnection);
  const ms = (from: number, to: number) => Math.round((to - from) * 1000) / 1000;
  if (timings.dnsStart !== undefined && timings.dnsEnd !== undefined) {
    span.addEvent('dns', { 'duration.ms': ms(timings.dnsStart, timings.dnsEnd) }, timings.dnsEnd);
  }
  if (timings.connectStart !== undefined && timings.connectEnd !== undefined) {
    const from = Math.max(timings.connectStart, timings.dnsEnd ?? timings.connectStart);
    span.addEvent('connect', { 'duration.ms': ms(from, timings.connectEnd) }, timings.connectEnd);
  }
  if (timings.connectEnd !== undefined && timings.tlsEnd !== undefined) {
    span.addEvent('tls', { 'duration.ms': ms(timings.connectEnd, timings.tlsEnd) }, timings.tlsEnd);
  }
  if (timings.requestSent !== undefined) {
    span.addEvent(
      'request sent',
      { 'duration.ms': ms(timings.start, timings.requestSent) },
      timings.requestSent,
    );
  }
  if (timings.firstByte !== undefined) {
    const from = timings.requestSent ?? timings.start;
    span.addEvent('first byte', { 'duration.ms': ms(from, timings.firstByte) }, timings.firstByte);
  }
}
