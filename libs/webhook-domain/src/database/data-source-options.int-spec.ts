import { createTestDatabase, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './data-source-options';

/** The apps' sessions as their DataSource opens them, on a real Postgres. */
describe('buildDataSourceOptions', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('data_source_options');
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, poolSize: 2, migrateOnBoot: false }, 'options-spec'),
    ).initialize();
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('opens sessions with JIT off and the app’s name, whatever the server’s default', async () => {
    const [server] = await dataSource.query<Array<{ jit: string }>>(
      `SELECT boot_val AS jit FROM pg_settings WHERE name = 'jit'`,
    );
    expect(server.jit).toBe('on');
    const [session] = await dataSource.query<Array<{ jit: string; name: string }>>(
      `SELECT current_setting('jit') AS jit, current_setting('application_name') AS name`,
    );
    expect(session).toEqual({ jit: 'off', name: 'options-spec' });
  });
});
