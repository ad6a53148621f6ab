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
import type { TracingConfig } from './tracing-config';

/**
 * The OpenTelemetry SDK side of tracing: loaded by startTracing only when an endpoint is set, so a
 * process that does not trace never loads the SDK and its exporters (about 10 MB of resident code).
 */
export function startTracerProvider(config: TracingConfig, exporter?: SpanExporter): NodeTracerProvider {
  const spanExporter =
    exporter ??
    (config.protocol === 'http/json'
      ? new OtlpHttpJsonExporter({ url: config.tracesUrl })
      : new OtlpProtobufExporter({ url: config.tracesUrl }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName }),
    sampler: samplerOf(config),
    // A batch is one POST however many spans it holds; shutdownTracing sends what is still buffered.
    spanProcessors: [new BatchSpanProcessor(spanExporter, { scheduledDelayMillis: config.batchDelayMs })],
  });
  provider.register(); // W3C trace context propagation and AsyncLocalStorage context
  return provider;
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
