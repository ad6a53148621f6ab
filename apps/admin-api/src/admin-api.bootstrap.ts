import { RequestMethod, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { allowFlags, type AdminApiConfig } from '@lms/config';
import { AppLogger, Metrics, reportConfigFlags } from '@lms/observability';
import { AdminApiModule } from './admin-api.module';
import { ApiValidationPipe } from './http/api-validation.pipe';
import { RequestBodyError } from './http/request-body.error';
import { createOpenApiDocument } from './http/openapi-document';
import { setupSwaggerDocs } from './http/swagger-docs';
import { assertUtf8JsonBody } from './http/utf8-body-check';

/** Bodies are small JSON objects; anything bigger is refused before it is parsed (413). */
export const MAX_BODY_BYTES = 256 * 1024;

/**
 * Builds the admin API, configured but not listening: `main.ts` listens on the configured port, tests
 * listen on port 0. Everything that shapes the HTTP surface lives here so both get the same app.
 */
export async function createAdminApiApp(config: AdminApiConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AdminApiModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(AppLogger));
  reportConfigFlags(allowFlags(config.delivery), config.env, app.get(Metrics), app.get(AppLogger));
  app.disable('x-powered-by');
  // Who the client is, for the per-client limit: the peer address unless proxies are trusted to say.
  if (config.trustProxy !== false) app.set('trust proxy', config.trustProxy);
  // No Content-Encoding: bodies are small, and a decompressor is one more thing a hostile client can feed.
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, inflate: false, verify: assertUtf8JsonBody });
  // body-parser errors carry a `type`; tag them here so the exception filter answers 400/413/415, not 500.
  app.use((error: unknown, _request: Request, _response: Response, next: NextFunction) => {
    next(RequestBodyError.fromParserError(error) ?? error);
  });
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health', method: RequestMethod.ALL },
      { path: 'health/*path', method: RequestMethod.ALL },
      { path: 'metrics', method: RequestMethod.ALL },
    ],
  });
  app.useGlobalPipes(new ApiValidationPipe());

  setupSwaggerDocs(app, createOpenApiDocument(app));
  return app;
}
