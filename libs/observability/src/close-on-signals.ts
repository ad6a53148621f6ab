import type { INestApplication } from '@nestjs/common';
import { AppLogger } from './app-logger';

/**
 * SIGTERM/SIGINT: close the app (Nest's shutdown hooks run: the consumer leaves its group after the
 * batch in hand, the dispatcher drains its jobs, pools close), then exit 0, which orchestrators read as
 * a clean stop. Nest's own enableShutdownHooks re-raises the signal after closing, so the process would
 * end "killed by SIGTERM" instead. Only for the real process: tests running an app in-process skip it.
 */
export function closeOnSignals(app: INestApplication): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    const logger = app.get(AppLogger);
    logger.log(`${signal} received: closing`);
    app.close().then(
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
