import 'reflect-metadata';
import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { allowFlags, DispatcherConfig, loadDispatcherConfig } from '@lms/config';
import { AppLogger, closeOnSignals, Metrics, reportConfigFlags } from '@lms/observability';
import { DispatcherAppModule } from './dispatcher-app.module';
import { startTracing } from '@lms/tracing';

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
  reportConfigFlags(allowFlags(config.delivery), config.env, app.get(Metrics), app.get(AppLogger));
  if (options.handleSignals) closeOnSignals(app);
  // No BIND_HOST: every interface, IPv4 and IPv6, as Node chooses.
  await (config.bindHost === undefined ? app.listen(config.port) : app.listen(config.port, config.bindHost));
  return app;
}

if (require.main === module) {
  startTracing('dispatcher');
  bootstrapDispatcher(loadDispatcherConfig(), { handleSignals: true }).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
