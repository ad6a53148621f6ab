import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { findAdminConsoleDir } from '../../apps/admin-api/src/console/admin-console-static';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';

/**
 * Issue 15 item 7: the console's build publishes no source maps (apps/admin-console/vite.config.mts),
 * so /console serves the minified bundle and nothing that maps it back to the sources. Runs on the
 * build `npm test` makes (e2e tests run on dist/).
 */
describe('the console publishes no source maps', () => {
  let api: AdminApiHarness;
  const consoleDir = findAdminConsoleDir(path.join(__dirname, '../../apps/admin-api/src/console'));

  beforeAll(async () => {
    api = await startAdminApi('source_maps');
  });
  afterAll(async () => {
    await api?.close();
  });

  function builtFiles(): string[] {
    if (!consoleDir) throw new Error('The console is not built: run `npm run build` before the e2e tests');
    return (readdirSync(consoleDir, { recursive: true }) as string[]).map((file) =>
      file.split(path.sep).join('/'),
    );
  }

  it('builds no .map file and points no bundle at one', () => {
    const files = builtFiles();
    expect(files.filter((file) => /\.(js|css)$/.test(file)).length).toBeGreaterThan(0);
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    const pointing = files
      .filter((file) => /\.(js|css)$/.test(file))
      .filter((file) => readFileSync(path.join(consoleDir!, file), 'utf8').includes('sourceMappingURL'));
    expect(pointing).toEqual([]);
  });

  it('serves no source map where one would be', async () => {
    for (const file of builtFiles().filter((name) => /\.(js|css)$/.test(name))) {
      const answer = await fetch(`${api.baseUrl}/console/${file}.map`);
      const text = await answer.text();
      // Unknown console paths fall back to index.html (the SPA): anything but a source map is fine.
      expect({ file, isSourceMap: /"mappings"\s*:/.test(text) }).toEqual({ file, isSourceMap: false });
      expect(answer.headers.get('sourcemap') ?? answer.headers.get('x-sourcemap')).toBeNull();
    }
  });
});
