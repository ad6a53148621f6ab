import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { HealthController, PUBLIC_ROUTE } from '@lms/observability';

export const BEARER_SCHEME = 'bearer';

/**
 * Operations whose controllers live in libs the admin API only mounts (health and metrics): they carry
 * no Swagger decorators of their own, so their summaries are given here.
 */
const MOUNTED_OPERATION_SUMMARIES: Record<string, string> = {
  HealthController_live: 'Liveness probe: the process runs',
  HealthController_ready: 'Readiness probe: Postgres and Redis answer',
  MetricsController_scrape: 'Prometheus metrics',
};

/**
 * The admin API's OpenAPI document, served at /docs-json. Every operation needs the bearer token
 * (declared once at the root) except the routes marked public, which get `security: []` from the same
 * metadata the global guard reads, so the document cannot call a route public that the guard protects.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  documentHealthCheck();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('LMS Webhooks admin API')
      .setDescription(
        'Webhooks managed by the Integration Admin of an account. Every route needs `Authorization: Bearer <JWT>` ' +
          "with role INTEGRATION_ADMIN unless it says otherwise; the account is the token's `accountId`. " +
          'Errors: `{statusCode, code, message, details?}`. Bodies are UTF-8 JSON, uncompressed.',
      )
      .setVersion('1')
      .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
      .addServer('/', 'The server this document was fetched from')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, BEARER_SCHEME)
      .addSecurityRequirements(BEARER_SCHEME)
      .build(),
  );
  const publicOperations = publicOperationIds(app);
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = pathItem[method];
      if (!operation?.operationId) continue;
      if (publicOperations.has(operation.operationId)) operation.security = [];
      operation.summary ??= MOUNTED_OPERATION_SUMMARIES[operation.operationId];
    }
  }
  return document;
}

let healthCheckDocumented = false;

/**
 * The readiness route's answers (terminus's own Swagger definitions: the health check result, 200 and
 * 503). The shared HealthController leaves them out so that the apps without a document never load
 * @nestjs/swagger; the admin API, which serves one, adds them here, once.
 */
function documentHealthCheck(): void {
  if (healthCheckDocumented) return;
  healthCheckDocumented = true;
  const descriptor = Object.getOwnPropertyDescriptor(HealthController.prototype, 'ready');
  if (descriptor)
    HealthCheck({ noCache: false, swaggerDocumentation: true })(
      HealthController.prototype,
      'ready',
      descriptor,
    );
}

/** `Controller_method` (the default Swagger operation id) of every handler marked public. */
function publicOperationIds(app: INestApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!controller) continue;
      const classIsPublic = Reflect.getMetadata(PUBLIC_ROUTE, controller) === true;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        const isPublic = Reflect.getMetadata(PUBLIC_ROUTE, handler) as boolean | undefined;
        if (isPublic ?? classIsPublic) ids.add(`${controller.name}_${name}`);
      }
    }
  }
  return ids;
}
