import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { shutdownTracing, startTracing } from '@lms/tracing';
import { AppLogger } from './app-logger';

function captureLogger(): { logger: AppLogger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = AppLogger.create('test', 'info', sink);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('AppLogger', () => {
  it('turns an object message into fields with msg as the text, and keeps the Nest context', () => {
    const { logger, lines } = captureLogger();
    logger.warn(
      { msg: 'delivery is dead', deliveryId: 'd-1', webhookId: 'w-1', accountId: 1010 },
      'Dispatcher',
    );
    expect(lines()[0]).toMatchObject({
      level: 40,
      msg: 'delivery is dead',
      deliveryId: 'd-1',
      webhookId: 'w-1',
      accountId: 1010,
      context: 'Dispatcher',
      service: 'test',
    });
  });

  it('logs plain strings and errors', () => {
    const { logger, lines } = captureLogger();
    logger.log('started', 'Main');
    logger.error(new Error('boom'));
    const [started, failed] = lines();
    expect(started).toMatchObject({ level: 30, msg: 'started', context: 'Main' });
    expect(failed).toMatchObject({ level: 50, msg: 'boom' });
    expect((failed.err as { message: string }).message).toBe('boom');
  });

  it('redacts credentials nested in logged objects', () => {
    const { logger, lines } = captureLogger();
    logger.log({
      msg: 'webhook',
      webhook: { password: 'hunter2', secret: 'whsec_x', name: 'HR' },
      request: { headers: { authorization: 'Basic aGk6dGhlcmU=', 'content-type': 'application/json' } },
    });
    const [line] = lines();
    expect(line.webhook).toEqual({ password: '[redacted]', secret: '[redacted]', name: 'HR' });
    expect(line.request).toEqual({
      headers: { authorization: '[redacted]', 'content-type': 'application/json' },
    });
  });
});

describe('AppLogger with tracing on', () => {
  beforeAll(() => {
    const exporter = new InMemorySpanExporter();
    expect(startTracing('unit', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, { exporter })).toBe(
      true,
    );
  });
  afterAll(() => shutdownTracing());

  it('puts the active span on every line written within it, and nothing on lines outside one', async () => {
    const { logger, lines } = captureLogger();
    let ids: { traceId: string; spanId: string } | undefined;
    await trace.getTracer('unit').startActiveSpan('attempt', async (span) => {
      ids = { traceId: span.spanContext().traceId, spanId: span.spanContext().spanId };
      await Promise.resolve(); // still within it after an await
      logger.warn({ msg: 'delivery is dead', deliveryId: 'd-1' });
      logger.child({ deliveryId: 'd-1' }).info('child line');
      span.end();
    });
    logger.log('outside');
    const [dead, child, outside] = lines();
    expect(dead).toMatchObject({ msg: 'delivery is dead', ...ids });
    expect(child).toMatchObject({ msg: 'child line', ...ids });
    expect(outside).not.toHaveProperty('traceId');
    expect(outside).not.toHaveProperty('spanId');
  });
});
