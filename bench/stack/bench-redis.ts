import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, waitFor } from '@lms/testing';
import Redis from 'ioredis';

/**
 * The bench's own Redis (a free port, no persistence), so INFO commandstats counts the stack's commands
 * only: the machine's Redis on 6379 is shared with other runs (thousands of their commands a second),
 * which made the per-event figure meaningless.
 */
export class BenchRedis {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    const redis = new BenchRedis(port, child);
    try {
      await waitFor(`the bench's redis-server on ${port}`, () => redis.answers(), 10_000, 100);
    } catch (error) {
      await redis.stop();
      throw error;
    }
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  private async answers(): Promise<boolean> {
    if (this.child.exitCode !== null) throw new Error(`redis-server exited with ${this.child.exitCode}`);
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
  }
}
