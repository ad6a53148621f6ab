import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DispatcherConfig, loadDispatcherConfig } from '@lms/config';
import { AppLogger, closeOnSignals } from '@lms/observability';
import { DispatcherAppModule } from './dispatcher-app.module';

export interface DispatcherBootstrapOptions {
  /** Install SIGTERM/SIGINT handlers (the real process); tests running apps in-process leave them off. */
  handleSignals?: boolean;
}

/** Boots the dispatcher: queue worker plus /health/* and /metrics on config.port. */
export async function bootstrapDispatcher(
  config: DispatcherConfig = loadDispatcherConfig(),
  options: DispatcherBootstrapOptions = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(DispatcherAppModule.forRoot(config), { bufferLogs: true });
  app.useLogger(app.get(AppLogger));
  if (options.handleSignals) closeOnSignals(app);
  await app.listen(config.port);
  return app;
}

if (require.main === module) {
  bootstrapDispatcher(loadDispatcherConfig(), { handleSignals: true }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
