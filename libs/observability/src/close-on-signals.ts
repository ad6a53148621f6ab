import type { INestApplication } from '@nestjs/common';
import { shutdownTracing } from '@lms/tracing';
import { AppLogger } from './app-logger';

/** The longest the last spans may hold up the exit (an unreachable collector must not eat the grace). */
const TRACE_FLUSH_LIMIT_MS = 5_000;

/**
 * SIGTERM/SIGINT: close the app (Nest's shutdown hooks run: the consumer leaves its group after the
 * batch in hand, the dispatcher drains its jobs, pools close), send the spans still buffered
 * (tracing on: those of the last batch and attempts, ended while closing), then exit 0, which
 * orchestrators read as a clean stop. Nest's own enableShutdownHooks re-raises the signal after closing, so the process would
 * end "killed by SIGTERM" instead. Only for the real process: tests running an app in-process skip it.
 */
export function closeOnSignals(app: INestApplication): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const logger = app.get(AppLogger);
    logger.log(`${signal} received: closing`);
    app
      .close()
      // Whether the close went well or not: the spans of the last work are what explains it.
      .finally(() => flushSpans(logger))
      .then(
        () => process.exit(0),
        (error: Error) => {
          logger.error(error);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

async function flushSpans(logger: AppLogger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), TRACE_FLUSH_LIMIT_MS);
  });
  try {
    const flushed = await Promise.race([shutdownTracing().then(() => 'sent' as const), limit]);
    if (flushed === 'late')
      logger.warn(`spans not all sent within ${TRACE_FLUSH_LIMIT_MS} ms: exiting anyway`);
  } catch (error) {
    logger.warn({ msg: 'spans could not be sent at shutdown', err: error });
  } finally {
    clearTimeout(timer);
  }
}
