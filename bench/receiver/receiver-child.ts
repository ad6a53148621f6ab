import { fork, type ChildProcess } from 'node:child_process';

/** A request without the id the channel adds. */
export type Unnumbered<Message> = Message extends { requestId: number } ? Omit<Message, 'requestId'> : never;

/**
 * The driver's side of a listener child process (the bench's and the soak's): the child answers
 * `listening` with its port once, then one message per numbered request. Keeps the request ids, the
 * pending answers and the stop sequence in one place.
 */
export class ReceiverChild<ToChild extends { requestId: number }, FromChild extends { type: string }> {
  private nextRequestId = 1;
  private readonly pending = new Map<number, (message: FromChild) => void>();

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (message: FromChild & { requestId?: number }) => {
      if (message.type === 'listening' || message.requestId === undefined) return;
      const resolve = this.pending.get(message.requestId);
      this.pending.delete(message.requestId);
      resolve?.(message);
    });
  }

  /** Forks `script` and resolves once it listens; `label` names it in the error if it exits first. */
  static async start<ToChild extends { requestId: number }, FromChild extends { type: string }>(
    script: string,
    label: string,
  ): Promise<ReceiverChild<ToChild, FromChild>> {
    const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)));
      child.once('message', (message: { type: string; port?: number }) => {
        if (message.type === 'listening' && message.port !== undefined) resolve(message.port);
      });
    });
    return new ReceiverChild<ToChild, FromChild>(child, port);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  ask(request: Unnumbered<ToChild>): Promise<FromChild> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.child.send({ ...request, requestId });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
