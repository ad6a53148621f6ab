import { loadIngestionConfig, type IngestionConfig } from '@lms/config';
import { AppLogger } from '@lms/observability';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IngestionAppModule } from './ingestion-app.module';

export interface IngestionBootOptions {
  /** Exit 0 after a graceful close on SIGTERM/SIGINT. Off when a test runs the app inside its own process. */
  handleSignals?: boolean;
}

/** Boots event-ingestion: consumer, relay and purge start with the app; HTTP serves health and metrics. */
export async function bootstrap(
  config: IngestionConfig = loadIngestionConfig(),
  { handleSignals = true }: IngestionBootOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(IngestionAppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  if (handleSignals) closeOnSignals(app);
  await app.listen(config.port);
  return app;
}

/**
 * Nest's enableShutdownHooks re-raises the signal after closing, so the process would end "killed by
 * SIGTERM". Closing ourselves lets the consumer leave its group after the batch in flight is committed,
 * then exit 0, which orchestrators read as a clean stop.
 */
function closeOnSignals(app: INestApplication): void {
  let closing = false;
  const close = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    app.get(AppLogger).log(`${signal} received: closing`);
    app.close().then(
      () => process.exit(0),
      (error: Error) => {
        app.get(AppLogger).error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
}

if (require.main === module) {
  bootstrap().catch((error: Error) => {
    console.error(error);
    process.exit(1);
  });
}
