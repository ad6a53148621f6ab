import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './app-processes';
import { waitFor } from './wait-for';
import Redis from 'ioredis';

/**
 * A Redis of the run's own, on a free port, without persistence: the machine's Redis on 6379 is shared
 * with other test runs and must never be restarted (the fault suite restarts this one), and its command
 * counters count other runs' commands too (the bench counts this one's). `restart()` loses every key, like a Redis
 * restarted without AOF/RDB: every queued job is gone and must be rebuilt from Postgres.
 */
export class PrivateRedis {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /**
   * SIGKILL (no shutdown save), then a fresh empty server on the same port once `whileDown` resolves:
   * the outage lasts until the scenario has seen it felt, not a fixed time.
   */
  async restart(whileDown: () => Promise<void>): Promise<void> {
    await this.kill();
    await whileDown();
    await this.up();
  }

  async stop(): Promise<void> {
    await this.kill();
  }

  async keyCount(): Promise<number> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      return await client.dbsize();
    } finally {
      client.disconnect();
    }
  }

  private async up(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    this.child = child;
    await waitFor(
      `private redis on ${this.port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
        const client = new Redis(this.url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          client.disconnect();
        }
      },
      10_000,
      100,
    );
  }

  private async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
