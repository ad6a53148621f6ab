import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DynamicModule } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import type { Response } from 'express';

/** Where admin-api serves the console (apps/admin-console, built by `npm run build`). */
export const ADMIN_CONSOLE_PATH = '/console';

// The console's script and styles come from this origin only; its one API is the same origin.
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The built console's folder: `dist/admin-console` beside `dist/apps` when running the build, or under
 * the repository's `dist/` when running from source (tests). Undefined when it was not built.
 */
export function findAdminConsoleDir(from: string = __dirname): string | undefined {
  // from = <dist or repo>/apps/admin-api/src/console
  const root = resolve(from, '../../../..');
  return [join(root, 'admin-console'), join(root, 'dist', 'admin-console')].find((dir) =>
    existsSync(join(dir, 'index.html')),
  );
}

/**
 * Serves the console's static files at /console with an SPA fallback to its index.html. These are
 * Express middleware, outside Nest's router and so outside the global AdminAccessGuard: the files are
 * public (they hold no data), while every /api/v1 call the console makes still needs its token.
 */
export function adminConsoleStaticModules(dir: string | undefined): DynamicModule[] {
  if (!dir) return [];
  return [
    ServeStaticModule.forRoot({
      rootPath: dir,
      serveRoot: ADMIN_CONSOLE_PATH,
      renderPath: '*path',
      serveStaticOptions: {
        index: 'index.html',
        fallthrough: true,
        setHeaders: (response: Response, path: string) => {
          // Hashed asset names change with their content; index.html must be revalidated to pick them up.
          response.setHeader(
            'Cache-Control',
            /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
          );
          response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
          response.setHeader('X-Content-Type-Options', 'nosniff');
          response.setHeader('Referrer-Policy', 'no-referrer');
        },
      },
    }),
  ];
}
