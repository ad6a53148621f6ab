import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The official OTLP protobuf definitions, compiled (pbjs static code generated from
 * open-telemetry/opentelemetry-proto, as shipped by @opentelemetry/otlp-transformer 0.57, installed
 * under the alias `otlp-transformer-protos`): the receiver decodes what exporters send with them.
 */
interface ExportTraceServiceRequestCodec {
  decode(bytes: Uint8Array): unknown;
  toObject(message: unknown, options: object): unknown;
}

/** Loaded on first use: a dev dependency, so that importing the test support from dist never needs it. */
function exportTraceServiceRequest(): ExportTraceServiceRequestCodec {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const root = require('otlp-transformer-protos/build/src/generated/root') as {
    opentelemetry: {
      proto: { collector: { trace: { v1: { ExportTraceServiceRequest: ExportTraceServiceRequestCodec } } } };
    };
  };
  return root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
}

/** OTLP span kinds (opentelemetry.proto.trace.v1.Span.SpanKind). */
export const OTLP_SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

export interface ReceivedSpan {
  /** The resource's service.name. */
  service: string;
  name: string;
  kind: number;
  /** Hex, as in a traceparent. */
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  links: Array<{ traceId: string; spanId: string }>;
  attributes: Record<string, unknown>;
  /** Epoch milliseconds (from the OTLP nanoseconds). */
  startMs: number;
  endMs: number;
  /** Span events in the order recorded, each at its time (epoch ms). */
  events: Array<{ name: string; atMs: number; attributes: Record<string, unknown> }>;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** How it was exported: application/x-protobuf or application/json. */
  contentType: string;
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>`: an OTEL_EXPORTER_OTLP_ENDPOINT (exporters POST to /v1/traces). */
  endpoint: string;
  spans: ReceivedSpan[];
  /** The content types of the export requests received, e.g. application/x-protobuf. */
  contentTypes: string[];
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/**
 * A loopback OTLP/HTTP trace receiver, as a collector would be: accepts POST /v1/traces in protobuf
 * (decoded with the official definitions) or JSON, answers 200, and keeps every span it got.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = String(req.headers['content-type'] ?? '');
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          res.writeHead(404).end();
          return;
        }
        const body = Buffer.concat(chunks);
        contentTypes.push(contentType);
        spans.push(
          ...spansOf(
            contentType.includes('json') ? JSON.parse(body.toString('utf8')) : decode(body),
            contentType,
          ),
        );
        res.writeHead(200, {
          'content-type': contentType.includes('json') ? 'application/json' : 'application/x-protobuf',
        });
        res.end(contentType.includes('json') ? '{}' : undefined);
      } catch (error) {
        res.writeHead(400).end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    async waitForSpans(predicate, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(spans)) {
        if (Date.now() > deadline) {
          throw new Error(
            `OTLP receiver: condition not met within ${timeoutMs} ms; spans: ${JSON.stringify(spans)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return spans;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function decode(body: Buffer): unknown {
  const codec = exportTraceServiceRequest();
  // Only the fields that were set (a oneof's member among them); bytes (ids) as base64.
  return codec.toObject(codec.decode(body), { longs: String, enums: Number, bytes: String });
}

interface OtlpKeyValue {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: OtlpKeyValue[];
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number };
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  events?: Array<{ name: string; timeUnixNano?: string; attributes?: OtlpKeyValue[] }>;
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

/** OTLP/JSON ids are hex; protobuf bytes come out of toObject as base64. */
function hexId(value: string | undefined, length: number): string {
  if (!value) return '';
  if (value.length === length && /^[0-9a-f]+$/i.test(value)) return value.toLowerCase();
  return Buffer.from(value, 'base64').toString('hex');
}

function attributesOf(pairs: OtlpKeyValue[] | undefined): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const { key, value } of pairs ?? []) {
    const [set] = Object.entries(value).filter(([, v]) => v !== undefined && v !== null);
    attributes[key] = set === undefined ? undefined : set[0] === 'intValue' ? Number(set[1]) : set[1];
  }
  return attributes;
}

/** OTLP times are nanoseconds since the epoch, as decimal strings (or numbers in JSON). */
function epochMs(nanos: string | number | undefined): number {
  return nanos === undefined ? 0 : Number(BigInt(nanos) / 1000n) / 1000;
}

function spansOf(request: unknown, contentType: string): ReceivedSpan[] {
  const received: ReceivedSpan[] = [];
  for (const resourceSpans of (request as OtlpRequest).resourceSpans ?? []) {
    const serviceName = attributesOf(resourceSpans.resource?.attributes)['service.name'];
    const service = typeof serviceName === 'string' ? serviceName : '';
    for (const scope of resourceSpans.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        received.push({
          service,
          name: span.name,
          kind: span.kind ?? 0,
          traceId: hexId(span.traceId, 32),
          spanId: hexId(span.spanId, 16),
          parentSpanId: hexId(span.parentSpanId, 16),
          links: (span.links ?? []).map((link) => ({
            traceId: hexId(link.traceId, 32),
            spanId: hexId(link.spanId, 16),
          })),
          attributes: attributesOf(span.attributes),
          startMs: epochMs(span.startTimeUnixNano),
          endMs: epochMs(span.endTimeUnixNano),
          events: (span.events ?? []).map((event) => ({
            name: event.name,
            atMs: epochMs(event.timeUnixNano),
            attributes: attributesOf(event.attributes),
          })),
          statusCode: span.status?.code ?? 0,
          contentType,
        });
      }
    }
  }
  return received;
}
