import type { INestApplication } from '@nestjs/common';
import { SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';

/** Where Swagger UI is served; its JSON document is at /docs-json. */
export const SWAGGER_UI_PATH = 'docs';

/**
 * Swagger UI as @nestjs/swagger serves it loads its scripts from this origin (swagger-ui-bundle.js,
 * swagger-ui-init.js) but writes inline <style> blocks and style="" attributes, and its CSS draws icons
 * from data: URIs: so scripts are 'self' only (no inline script, no eval), styles may be inline, images
 * may be data:. It fetches the document and sends "Try it out" requests to this origin only. A token
 * pasted into the page can therefore not be sent anywhere else, nor the page framed.
 */
export const SWAGGER_UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Mounts Swagger UI at /docs with its Content-Security-Policy, and the document at /docs-json. */
export function setupSwaggerDocs(app: INestApplication, document: OpenAPIObject): void {
  // Registered before SwaggerModule's own routes so every file under /docs gets the headers.
  app.use(`/${SWAGGER_UI_PATH}`, (_request: Request, response: Response, next: NextFunction) => {
    response.setHeader('Content-Security-Policy', SWAGGER_UI_CONTENT_SECURITY_POLICY);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    response.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });
  SwaggerModule.setup(SWAGGER_UI_PATH, app, document, {
    jsonDocumentUrl: `${SWAGGER_UI_PATH}-json`,
    // The default validator badge is an image from validator.swagger.io: off, nothing leaves this origin.
    swaggerOptions: { validatorUrl: null },
  });
}
