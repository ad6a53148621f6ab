import { existsSync } from 'node:fs';
import { Client } from 'pg';
import { PrivatePostgres } from './private-postgres';
import { createTestDatabase, testDatabaseAdminUrl } from './test-database';
import { waitFor } from './wait-for';

jest.setTimeout(120_000);

async function query<T extends Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('PrivatePostgres', () => {
  let server: PrivatePostgres;

  beforeAll(async () => {
    server = await PrivatePostgres.start();
  });

  afterAll(async () => {
    await server?.remove();
  });

  it('is configured as a production server: autovacuum on with stock thresholds, loopback only', async () => {
    const [settings] = await query<Record<string, string>>(
      server.adminUrl,
      `SELECT current_setting('autovacuum') AS autovacuum,
              current_setting('autovacuum_vacuum_scale_factor') AS scale_factor,
              current_setting('autovacuum_naptime') AS naptime,
              current_setting('fsync') AS fsync,
              current_setting('listen_addresses') AS listen,
              current_setting('port') AS port`,
    );
    expect(settings).toEqual({
      autovacuum: 'on',
      scale_factor: '0.2',
      naptime: '1min',
      fsync: 'on',
      listen: '127.0.0.1',
      port: String(server.port),
    });
    expect(server.port).not.toBe(5432);
  });

  it('holds test databases of its own, not on the shared server', async () => {
    const database = await createTestDatabase('private_pg', server.adminUrl);
    try {
      expect(new URL(database.url).port).toBe(String(server.port));
      await query(database.url, 'SELECT 1');
      const onShared = await query(
        testDatabaseAdminUrl(),
        `SELECT 1 FROM pg_database WHERE datname = '${database.name}'`,
      );
      expect(onShared).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it('restarts (fast shutdown) with its data: sessions are ended, the server is unreachable meanwhile', async () => {
    await query(server.adminUrl, `CREATE TABLE kept (value text); INSERT INTO kept VALUES ('before')`);
    const session = new Client({ connectionString: server.adminUrl });
    await session.connect();
    const sessionErrors: Error[] = [];
    session.on('error', (error) => sessionErrors.push(error));
    let refusedWhileDown: unknown;
    await server.restart(async () => {
      expect(server.running).toBe(false);
      refusedWhileDown = await query(server.adminUrl, 'SELECT 1').then(
        () => undefined,
        (error: unknown) => error,
      );
    });
    await waitFor('the open session to be ended', () => sessionErrors.length > 0, 5000);
    expect(sessionErrors.map((error) => error.message)).toContain('Connection terminated unexpectedly');
    await session.end().catch(() => undefined);
    expect(refusedWhileDown).toMatchObject({ message: expect.stringContaining('ECONNREFUSED') });
    expect(server.running).toBe(true);
    expect(await query(server.adminUrl, 'SELECT value FROM kept')).toEqual([{ value: 'before' }]);
  });

  it('remove() stops it and deletes its directory', async () => {
    const other = await PrivatePostgres.start();
    expect(existsSync(other.dataDirectory)).toBe(true);
    await other.remove();
    expect(other.running).toBe(false);
    expect(existsSync(other.directory)).toBe(false);
    await expect(query(other.adminUrl, 'SELECT 1')).rejects.toThrow();
  });
});
