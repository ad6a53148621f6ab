import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { DriverToReceiver, ReceiverToDriver, RunStats } from './receiver-protocol';

type Request = DriverToReceiver extends infer M
  ? M extends { requestId: number }
    ? Omit<M, 'requestId'>
    : never
  : never;

/** The driver's handle on the benchmark receiver child process. */
export class BenchReceiver {
  private nextRequestId = 1;
  private readonly pending = new Map<number, (message: ReceiverToDriver) => void>();

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (message: ReceiverToDriver) => {
      if (message.type === 'listening') return;
      const resolve = this.pending.get(message.requestId);
      this.pending.delete(message.requestId);
      resolve?.(message);
    });
  }

  static async start(): Promise<BenchReceiver> {
    const child = fork(path.join(__dirname, 'bench-receiver-process.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`benchmark receiver exited with ${code}`)));
      child.once('message', (message: ReceiverToDriver) => {
        if (message.type === 'listening') resolve(message.port);
      });
    });
    return new BenchReceiver(child, port);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  urlFor(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async configure(secretsByPath: Record<string, string>, verifyEvery: number): Promise<void> {
    await this.ask({ type: 'configure', secretsByPath, verifyEvery });
  }

  async stats(run: string, expected: number): Promise<RunStats> {
    const answer = await this.ask({ type: 'stats', run, expected });
    if (answer.type !== 'stats') throw new Error(`unexpected receiver answer ${answer.type}`);
    return answer.stats;
  }

  async ceilingStats(): Promise<{ requests: number; firstAt: number | null; lastAt: number | null }> {
    const answer = await this.ask({ type: 'ceiling-stats' });
    if (answer.type !== 'ceiling-stats') throw new Error(`unexpected receiver answer ${answer.type}`);
    return answer;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private ask(request: Request): Promise<ReceiverToDriver> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.child.send({ ...request, requestId });
    });
  }
}
