import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { waitFor } from './wait-for';

/**
 * The server test databases are created on: the machine's shared Postgres unless
 * TEST_DATABASE_ADMIN_URL names another. Read at each creation, so a test file can point it at a
 * server it started itself (a PrivatePostgres) before building a stack.
 */
export function testDatabaseAdminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh, empty database for one test file, so test files run in parallel without seeing each other.
 * The schema is created by the code under test (migrations at boot), never by `synchronize`.
 */
export async function createTestDatabase(
  label = 'test',
  adminUrl = testDatabaseAdminUrl(),
): Promise<TestDatabase> {
  const name = `lmsw_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withAdminClient(adminUrl, async (client) => {
        await untilNoBackends(client, name);
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

/** How long a closed pool's connections get to finish closing before the drop forces them out. */
const BACKENDS_GONE_WITHIN_MS = 5_000;

/**
 * pg's `Pool.end()` resolves once it has asked its clients to end, not once they have: a backend still
 * closing when `WITH (FORCE)` terminates it raises a FATAL on a client whose pool's error listener is
 * gone, an unhandled error in whichever test file ran. So the drop waits until the database's backends
 * have left (a leaked connection is still forced out after BACKENDS_GONE_WITHIN_MS, and fails loudly).
 */
async function untilNoBackends(client: Client, name: string): Promise<void> {
  await waitFor(
    `the connections to ${name} to close`,
    async () => {
      const { rows } = await client.query<{ count: string }>(
        'SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [name],
      );
      return Number(rows[0].count) === 0;
    },
    BACKENDS_GONE_WITHIN_MS,
    25,
  ).catch(() => undefined); // a leaked connection is forced out by the drop
}

async function withAdminClient<T>(adminUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
