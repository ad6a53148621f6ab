import { ConfigValidationError } from '@lms/config';
import { loadTracingConfig } from './index';
import { samplerOf } from './tracing-sdk';

describe('loadTracingConfig', () => {
  it('is off without an endpoint, whatever else is set', () => {
    const config = loadTracingConfig('dispatcher', {
      OTEL_SERVICE_NAME: 'x',
      OTEL_TRACES_SAMPLER: 'always_on',
    });
    expect(config.tracesUrl).toBeUndefined();
    expect(loadTracingConfig('dispatcher', {}).tracesUrl).toBeUndefined();
    expect(loadTracingConfig('dispatcher', { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }).tracesUrl).toBeUndefined();
  });

  it('appends /v1/traces to the base endpoint and takes the traces endpoint as it is', () => {
    expect(loadTracingConfig('d', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracesUrl).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      loadTracingConfig('d', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/custom',
      }).tracesUrl,
    ).toBe('https://traces.example/custom');
  });

  it('defaults: the app name, parent-based always-on sampling, protobuf', () => {
    expect(loadTracingConfig('event-ingestion', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
      tracesUrl: 'http://c:4318/v1/traces',
      serviceName: 'event-ingestion',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      protocol: 'http/protobuf',
      batchDelayMs: 1000,
    });
  });

  it('reads the service name, sampler, ratio and protocol', () => {
    const config = loadTracingConfig('d', {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_SERVICE_NAME: 'lmsw-dispatcher',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '5000',
    });
    expect(config).toMatchObject({
      batchDelayMs: 5000,
      serviceName: 'lmsw-dispatcher',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      protocol: 'http/json',
    });
    expect(samplerOf(config).toString()).toContain('TraceIdRatioBased{0.25}');
  });

  it('lists every bad value at once', () => {
    let error: unknown;
    try {
      loadTracingConfig('d', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_SAMPLER_ARG: '2',
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as ConfigValidationError).problems.map((problem) => problem.variable).sort()).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_SAMPLER',
    ]);
    expect(() =>
      loadTracingConfig('d', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c/v1/traces',
        OTEL_TRACES_SAMPLER: 'traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '1.5',
      }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1/);
  });
});
