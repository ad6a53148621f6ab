import { Writable } from 'node:stream';
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
