import { loadIngestionConfig, type IngestionConfig } from '@lms/config';
import { AppLogger, closeOnSignals } from '@lms/observability';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IngestionAppModule } from './ingestion-app.module';
import { startTracing } from '@lms/tracing';

export interface IngestionBootOptions {
  /** Exit 0 after a graceful close on SIGTERM/SIGINT. Off when a test runs the app inside its own process. */
  handleSignals?: boolean;
}

/** Boots event-ingestion: the consumer starts with the app; HTTP serves health and metrics. */
export async function bootstrap(
  config: IngestionConfig = loadIngestionConfig(),
  { handleSignals = true }: IngestionBootOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(IngestionAppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  if (handleSignals) closeOnSignals(app);
  // No BIND_HOST: every interface, IPv4 and IPv6, as Node chooses.
  await (config.bindHost === undefined ? app.listen(config.port) : app.listen(config.port, config.bindHost));
  return app;
}

if (require.main === module) {
  startTracing('event-ingestion');
  bootstrap().catch((error: Error) => {
    console.error(error);
    process.exit(1);
  });
}
