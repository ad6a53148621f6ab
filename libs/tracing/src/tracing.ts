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
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { formatTraceParent, parseTraceParent, recordHeader } from './trace-context';
import { loadTracingConfig, type TracingConfig } from './tracing-config';

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
  const exporter =
    options.exporter ??
    (config.protocol === 'http/json'
      ? new OtlpHttpJsonExporter({ url: config.tracesUrl })
      : new OtlpProtobufExporter({ url: config.tracesUrl }));
  provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplerOf(config),
    // Spans leave within a second; a batch is one POST however many spans it holds.
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000 })],
  });
  provider.register(); // W3C trace context propagation and AsyncLocalStorage context
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

export function samplerOf(config: Pick<TracingConfig, 'sampler' | 'samplerRatio'>): Sampler {
  switch (config.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(config.samplerRatio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.samplerRatio) });
  }
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
}

/**
 * Runs one HTTP attempt of a request inside a CLIENT span: a child of the first event's trace context
 * (so the listener sees the producer's trace id) with a link to each distinct event trace context;
 * `send` gets the `traceparent` (and `tracestate`) headers of that span to put on the request. Tracing
 * off: `send({})`, nothing else.
 */
export async function withAttemptSpan<T extends AttemptResult>(
  eventContexts: readonly SpanContext[],
  attributes: Attributes,
  send: (traceHeaders: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (provider === undefined) return send({});
  const links: Link[] = eventContexts.map((linked) => ({ context: linked }));
  const parent =
    eventContexts.length > 0 ? trace.setSpanContext(ROOT_CONTEXT, eventContexts[0]) : ROOT_CONTEXT;
  const span = tracer().startSpan('webhook POST', { kind: SpanKind.CLIENT, attributes, links }, parent);
  const traceHeaders: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), traceHeaders);
  try {
    const result = await send(traceHeaders);
    if (result.statusCode !== null) span.setAttribute('http.response.status_code', result.statusCode);
    if (result.error !== null) span.setStatus({ code: SpanStatusCode.ERROR, message: result.error });
    return result;
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
