import path from 'node:path';
import { ReceiverChild, type Unnumbered } from './receiver-child';
import type { DriverToReceiver, ReceiverToDriver, RunStats } from './receiver-protocol';

/** The driver's handle on the benchmark receiver child process. */
export class BenchReceiver {
  private constructor(private readonly channel: ReceiverChild<DriverToReceiver, ReceiverToDriver>) {}

  static async start(): Promise<BenchReceiver> {
    return new BenchReceiver(
      await ReceiverChild.start<DriverToReceiver, ReceiverToDriver>(
        path.join(__dirname, 'bench-receiver-process.js'),
        'benchmark receiver',
      ),
    );
  }

  get port(): number {
    return this.channel.port;
  }

  get pid(): number {
    return this.channel.pid;
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

  stop(): Promise<void> {
    return this.channel.stop();
  }

  private ask(request: Unnumbered<DriverToReceiver>): Promise<ReceiverToDriver> {
    return this.channel.ask(request);
  }
}
