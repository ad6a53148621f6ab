import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startAdminApi, type AdminApiHarness } from '../admin-api/support/admin-api-harness';
import { openApiToTypeScript } from './support/openapi-to-typescript';

const ROOT = join(__dirname, '..', '..');
const SCHEMA_FILE = join(ROOT, 'apps/admin-console/src/api/admin-api.schema.ts');
const PRETTIER = join(ROOT, 'node_modules/prettier/bin/prettier.cjs');

/** Formatted as the repository formats it (prettier in a process: its API is ESM, Jest runs CommonJS). */
function prettierFormat(source: string): string {
  return execFileSync(process.execPath, [PRETTIER, '--stdin-filepath', SCHEMA_FILE], {
    input: source,
    encoding: 'utf8',
  });
}

/**
 * The console's API types are generated from the real server's /docs-json: a DTO changed without
 * regenerating them fails here. `UPDATE_API_TYPES=1 npx jest --selectProjects e2e --runTestsByPath
 * test/console/api-types.e2e-spec.ts` rewrites the file; the console's type-check then shows each use
 * the change breaks.
 */
describe('console: the API types are the OpenAPI document of the running admin API', () => {
  let api: AdminApiHarness;

  beforeAll(async () => {
    api = await startAdminApi('console_api_types');
  });

  afterAll(async () => {
    await api?.close();
  });

  it('match apps/admin-console/src/api/admin-api.schema.ts exactly', async () => {
    const answer = await api.call('GET', '/docs-json');
    expect(answer.status).toBe(200);
    const generated = prettierFormat(openApiToTypeScript(answer.body));
    if (process.env.UPDATE_API_TYPES === '1') await writeFile(SCHEMA_FILE, generated);
    const checkedIn = await readFile(SCHEMA_FILE, 'utf8').catch(() => '(missing)');
    expect(checkedIn).toBe(generated);
  });
});
