import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { loadDispatcherConfig } from '@lms/config';
import { DELIVERY_QUEUE } from '@lms/queue-contract';
import { createTestDatabase, startListener, TestDatabase, TestListener, waitFor } from '@lms/testing';
import { SecretCipher } from '@lms/webhook-domain';
import Bull from 'bull';
import { Pool } from 'pg';
import { DispatchFactories } from './support/dispatch-factories';
import { dispatcherTestEnv } from './support/dispatcher-harness';

jest.setTimeout(60_000);

const MAIN = path.resolve(__dirname, '../../dist/apps/dispatcher/src/main.js');
const LANES = 10;
const EVENTS_PER_LANE = 50;
const EVENTS = LANES * EVENTS_PER_LANE;

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

  it('delivers every event of every lane, the first receipt of each in lane order; the survivor exits 0 on SIGTERM', async () => {
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

    // One event per request, so the kill lands with many requests to go and some in flight.
    const lanes: Array<{ path: string; eventIds: string[] }> = [];
    for (let lane = 0; lane < LANES; lane += 1) {
      const webhook = await factories.webhook({ targetUrl: `${target.origin}/lane-${lane}` });
      await pool.query(`UPDATE webhooks SET max_events_per_request = 1 WHERE id = $1`, [webhook.id]);
      const eventPks = await factories.events(webhook.accountId, EVENTS_PER_LANE);
      await factories.laneItems(webhook, eventPks, { kind: 'REALTIME' });
      const { rows } = await pool.query<{ event_id: string }>(
        `SELECT event_id FROM events WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [eventPks],
      );
      lanes.push({ path: `/lane-${lane}`, eventIds: rows.map((row) => row.event_id) });
      await factories.wakeLane(queue, webhook.id, 'REALTIME');
    }

    await waitFor('a third of the events received', () => target.requests.length >= EVENTS / 3, 30_000, 5);
    replicas[0].child.kill('SIGKILL');
    expect((await replicas[0].exited).signal).toBe('SIGKILL');

    await waitFor(
      'every event in a SUCCEEDED delivery and every lane idle',
      async () => {
        const { rows } = await pool.query(
          `SELECT (SELECT count(*) FROM deliveries d JOIN delivery_events de ON de.delivery_id = d.id
                    WHERE d.status = 'SUCCEEDED')::int AS sent,
                  (SELECT count(*) FROM lanes WHERE busy)::int AS busy`,
        );
        return rows[0].sent === EVENTS && rows[0].busy === 0;
      },
      45_000,
      200,
    );
    const eventIdsOf = (body: string) =>
      (JSON.parse(body) as { events: Array<{ eventId: string }> }).events.map((e) => e.eventId);
    for (const lane of lanes) {
      const received = target.requests.filter((r) => r.path === lane.path).flatMap((r) => eventIdsOf(r.body));
      // At-least-once: the request in flight at the kill may be sent again (same webhook-id) by the
      // survivor; the first receipt of each event is in lane order and nothing is missing.
      expect([...new Set(received)]).toEqual(lane.eventIds);
    }
    const receivedIds = target.requests.map((r) => String(r.headers['webhook-id']));
    const duplicates = receivedIds.length - new Set(receivedIds).size;
    // With one request in flight per lane, a lane can repeat at most the one request it had in flight.
    expect(duplicates).toBeLessThanOrEqual(LANES);
    console.log(`failover: ${receivedIds.length} requests for ${EVENTS} events (${duplicates} duplicates)`);

    replicas[1].child.kill('SIGTERM');
    expect(await replicas[1].exited).toEqual({ code: 0, signal: null });
  });
});
