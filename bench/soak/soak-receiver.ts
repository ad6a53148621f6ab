import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SoakPlan } from './soak-plan';
import type { DriverToSoakReceiver, SoakReceiverToDriver, SoakTotals, SoakWindow } from './soak-protocol';

type Request = DriverToSoakReceiver extends infer M
  ? M extends { requestId: number }
    ? Omit<M, 'requestId'>
    : never
  : never;

/** The driver's handle on the soak listeners (a child process: soak-receiver-process.ts). */
export class SoakReceiver {
  private nextRequestId = 1;
  private readonly pending = new Map<number, (message: SoakReceiverToDriver) => void>();

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (message: SoakReceiverToDriver) => {
      if (message.type === 'listening') return;
      const resolve = this.pending.get(message.requestId);
      this.pending.delete(message.requestId);
      resolve?.(message);
    });
  }

  static async start(): Promise<SoakReceiver> {
    const child = fork(path.join(__dirname, 'soak-receiver-process.js'), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`soak receiver exited with ${code}`)));
      child.once('message', (message: SoakReceiverToDriver) => {
        if (message.type === 'listening') resolve(message.port);
      });
    });
    return new SoakReceiver(child, port);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  urlFor(accountId: number): string {
    return `http://127.0.0.1:${this.port}/soak/${accountId}`;
  }

  async configure(plan: SoakPlan, run: string, warmUpRun: string, events: number): Promise<void> {
    await this.ask({ type: 'configure', plan, run, warmUpRun, events });
  }

  /** Closes the current window and opens the next. */
  async closeWindow(): Promise<SoakWindow> {
    const answer = await this.ask({ type: 'window' });
    if (answer.type !== 'window') throw new Error(`unexpected receiver answer ${answer.type}`);
    return answer.window;
  }

  async totals(produced: number): Promise<SoakTotals> {
    const answer = await this.ask({ type: 'totals', produced });
    if (answer.type !== 'totals') throw new Error(`unexpected receiver answer ${answer.type}`);
    return answer.totals;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  private ask(request: Request): Promise<SoakReceiverToDriver> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.child.send({ ...request, requestId });
    });
  }
}
