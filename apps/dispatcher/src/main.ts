import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DispatcherConfig, loadDispatcherConfig } from '@lms/config';
import { AppLogger } from '@lms/observability';
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
  if (options.handleSignals) {
    // Not enableShutdownHooks(): it re-raises the signal after closing, so the exit code would be 143;
    // a clean drain should exit 0.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        app.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  }
  await app.listen(config.port);
  return app;
}

if (require.main === module) {
  bootstrapDispatcher(loadDispatcherConfig(), { handleSignals: true }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
