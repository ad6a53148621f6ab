import { EnvReader } from '@lms/config';

type Env = Record<string, string | undefined>;

export const TRACES_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type TracesSampler = (typeof TRACES_SAMPLERS)[number];

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];

/** Tracing as the standard OTEL_* variables set it; `tracesUrl` undefined = off (no exporter, no spans). */
export interface TracingConfig {
  /** Where spans are POSTed (OTLP/HTTP); undefined when no endpoint is set: tracing is off. */
  tracesUrl: string | undefined;
  serviceName: string;
  sampler: TracesSampler;
  /** The ratio of the *traceidratio samplers, 0..1 (OTEL_TRACES_SAMPLER_ARG). */
  samplerRatio: number;
  protocol: OtlpProtocol;
  /** How long ended spans wait to be exported together, in ms (OTEL_BSP_SCHEDULE_DELAY, default 1000). */
  batchDelayMs: number;
}

/**
 * Reads the standard variables: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the full URL, used as is) or else
 * OTEL_EXPORTER_OTLP_ENDPOINT (a base URL, `/v1/traces` appended, as the specification says);
 * OTEL_SERVICE_NAME (default: the app's name); OTEL_TRACES_SAMPLER (default parentbased_always_on) and
 * OTEL_TRACES_SAMPLER_ARG; OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, the default, or http/json; grpc
 * is not supported); OTEL_BSP_SCHEDULE_DELAY (ms, default 1000: spans leave within a second). Throws ConfigValidationError listing every problem.
 */
export function loadTracingConfig(defaultServiceName: string, env: Env = process.env): TracingConfig {
  const reader = new EnvReader(env);
  const tracesEndpoint = reader.optionalString('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const baseEndpoint = reader.optionalString('OTEL_EXPORTER_OTLP_ENDPOINT');
  const serviceName = reader.string('OTEL_SERVICE_NAME', defaultServiceName);
  const sampler = reader.oneOf('OTEL_TRACES_SAMPLER', TRACES_SAMPLERS, 'parentbased_always_on');
  const samplerArg = reader.optionalString('OTEL_TRACES_SAMPLER_ARG');
  const protocol = reader.oneOf('OTEL_EXPORTER_OTLP_PROTOCOL', OTLP_PROTOCOLS, 'http/protobuf');
  const batchDelayMs = reader.int('OTEL_BSP_SCHEDULE_DELAY', 1000, { min: 0 });

  let tracesUrl: string | undefined;
  if (tracesEndpoint !== undefined) {
    tracesUrl = checkedUrl(reader, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', tracesEndpoint);
  } else if (baseEndpoint !== undefined) {
    const base = checkedUrl(reader, 'OTEL_EXPORTER_OTLP_ENDPOINT', baseEndpoint);
    tracesUrl = base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`;
  }

  let samplerRatio = 1;
  if (samplerArg !== undefined && sampler.endsWith('traceidratio')) {
    const ratio = Number(samplerArg);
    if (Number.isFinite(ratio) && ratio >= 0 && ratio <= 1) samplerRatio = ratio;
    else reader.problem('OTEL_TRACES_SAMPLER_ARG', `must be a number from 0 to 1 (got "${samplerArg}")`);
  }
  reader.done();
  return { tracesUrl, serviceName, sampler, samplerRatio, protocol, batchDelayMs };
}

function checkedUrl(reader: EnvReader, name: string, raw: string): string | undefined {
  try {
    const url = new URL(raw);
    if (url.protocol === 'http:' || url.protocol === 'https:') return raw;
    reader.problem(name, `must use http: or https: (got "${url.protocol}")`);
  } catch {
    reader.problem(name, `must be a URL (got "${raw}")`);
  }
  return undefined;
}
