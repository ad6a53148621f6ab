import path from 'node:path';
import { ReceiverChild, type Unnumbered } from '../receiver/receiver-child';
import type { SoakPlan } from './soak-plan';
import type { DriverToSoakReceiver, SoakReceiverToDriver, SoakTotals, SoakWindow } from './soak-protocol';

/** The driver's handle on the soak listeners (a child process: soak-receiver-process.ts). */
export class SoakReceiver {
  private constructor(private readonly channel: ReceiverChild<DriverToSoakReceiver, SoakReceiverToDriver>) {}

  static async start(): Promise<SoakReceiver> {
    return new SoakReceiver(
      await ReceiverChild.start<DriverToSoakReceiver, SoakReceiverToDriver>(
        path.join(__dirname, 'soak-receiver-process.js'),
        'soak receiver',
      ),
    );
  }

  get port(): number {
    return this.channel.port;
  }

  get pid(): number {
    return this.channel.pid;
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

  stop(): Promise<void> {
    return this.channel.stop();
  }

  private ask(request: Unnumbered<DriverToSoakReceiver>): Promise<SoakReceiverToDriver> {
    return this.channel.ask(request);
  }
}
