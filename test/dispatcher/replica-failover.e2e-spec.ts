import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { loadDispatcherConfig } from '@lms/config';
import { DELIVERY_QUEUE, deliverJob } from '@lms/queue-contract';
import { createTestDatabase, startListener, TestDatabase, TestListener, waitFor } from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import Bull from 'bull';
import { Pool } from 'pg';
import { DispatchFactories } from './support/dispatch-factories';
import { dispatcherTestEnv } from './support/dispatcher-harness';

jest.setTimeout(60_000);

const MAIN = path.resolve(__dirname, '../../dist/apps/dispatcher/src/main.js');
const DELIVERIES = 500;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Replica {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function spawnReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...env, DISPATCHER_PORT: String(port), PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  await waitFor(
    `dispatcher on ${port} live`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      return response?.ok;
    },
    30_000,
    200,
  );
  return { child, port, exited };
}

describe('two dispatcher processes; one is SIGKILLed mid-run', () => {
  let database: TestDatabase;
  let pool: Pool;
  let target: TestListener;
  let queue: Bull.Queue;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('dispatch_failover');
    target = await startListener(() => ({ status: 200, delayMs: 15 }));
  });

  afterAll(async () => {
    for (const replica of replicas)
      if (replica.child.exitCode === null && replica.child.signalCode === null) replica.child.kill('SIGKILL');
    await queue?.close();
    await target?.close();
    await pool?.end();
    await database?.drop();
  });

  it('delivers every delivery and every event; the survivor exits 0 on SIGTERM', async () => {
    const env = dispatcherTestEnv(database.url, {
      DISPATCH_CONCURRENCY: '10',
      QUEUE_LOCK_DURATION_MS: '3s',
      QUEUE_STALLED_INTERVAL_MS: '1s',
      SHUTDOWN_GRACE_MS: '5s',
    });
    replicas.push(await spawnReplica(env));
    replicas.push(await spawnReplica(env));
    const config = loadDispatcherConfig(env);
    pool = new Pool({ connectionString: database.url, max: 4 });
    const factories = new DispatchFactories(pool, new SecretCipher(config.secretsKey));
    queue = new Bull(DELIVERY_QUEUE, { redis: config.redis.url, prefix: config.redis.queuePrefix });

    const webhook = await factories.webhook({ targetUrl: target.url });
    const eventPks = await factories.events(webhook.accountId, DELIVERIES);
    const ids: string[] = [];
    for (const pk of eventPks) ids.push(await factories.delivery(webhook, { eventPks: [pk] }));
    await queue.addBulk(ids.map((id) => deliverJob(id)));

    await waitFor(
      'a third of the deliveries received',
      () => target.requests.length >= DELIVERIES / 3,
      30_000,
      5,
    );
    replicas[0].child.kill('SIGKILL');
    expect((await replicas[0].exited).signal).toBe('SIGKILL');

    await waitFor(
      'every delivery SUCCEEDED',
      async () => {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM deliveries WHERE status = 'SUCCEEDED'`,
        );
        return rows[0].n === DELIVERIES;
      },
      45_000,
      200,
    );
    const receivedIds = target.requests.map((r) => String(r.headers['webhook-id']));
    const distinct = new Set(receivedIds);
    expect(ids.every((id) => distinct.has(id))).toBe(true);
    const eventIds = new Set(
      target.requests.flatMap((r) =>
        (JSON.parse(r.body) as { events: Array<{ eventId: string }> }).events.map((e) => e.eventId),
      ),
    );
    expect(eventIds.size).toBe(DELIVERIES);
    // At-least-once: a request in flight at the kill may be sent again by the survivor.
    console.log(
      `failover: ${receivedIds.length} requests for ${DELIVERIES} deliveries (${receivedIds.length - distinct.size} duplicates)`,
    );

    replicas[1].child.kill('SIGTERM');
    expect(await replicas[1].exited).toEqual({ code: 0, signal: null });
  });
});
