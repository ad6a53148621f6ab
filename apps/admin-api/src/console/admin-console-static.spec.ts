import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminConsoleStaticModules, findAdminConsoleDir } from './admin-console-static';

describe('the console served by admin-api', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'console-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const built = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
  };

  it('is found beside the built apps (dist/admin-console next to dist/apps)', () => {
    built(join(root, 'admin-console'));
    expect(findAdminConsoleDir(join(root, 'apps/admin-api/src/console'))).toBe(join(root, 'admin-console'));
  });

  it('is found under dist/ when admin-api runs from source', () => {
    built(join(root, 'dist/admin-console'));
    expect(findAdminConsoleDir(join(root, 'apps/admin-api/src/console'))).toBe(
      join(root, 'dist/admin-console'),
    );
  });

  it('is not served when it was not built', () => {
    expect(findAdminConsoleDir(join(root, 'apps/admin-api/src/console'))).toBeUndefined();
    expect(adminConsoleStaticModules(undefined)).toEqual([]);
  });
});
