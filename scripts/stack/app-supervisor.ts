import { ChildProcess, spawn } from 'node:child_process';

/** Restart delays: `initialMs` doubling per consecutive failure up to `maxMs`. */
export interface RestartBackoff {
  initialMs: number;
  maxMs: number;
  /** A run that stayed up this long counts as healthy: the next failure starts again at `initialMs`. */
  resetAfterMs: number;
}

export interface AppSupervisorOptions {
  /** Names the app in the stack's restart lines. */
  label: string;
  command: string;
  args?: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  backoff?: Partial<RestartBackoff>;
  /** Time between SIGTERM and SIGKILL on stop(). */
  stopGraceMs?: number;
  /** The stack's own log: one line per unexpected exit and restart. */
  log?: (message: string) => void;
  /** Put before every line the app writes; defaults to `[label] `. */
  outputPrefix?: string;
  stdout?: NodeJS.WritableStream;
  stderr?: NodeJS.WritableStream;
  /** Called after every spawn; `restarts` is 0 for the first run. */
  onSpawn?: (restarts: number) => void;
}

const DEFAULT_BACKOFF: RestartBackoff = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * Owns one child app for `npm start`: spawns it, restarts it with exponential backoff whenever it exits
 * (any code, any signal) until stop(), and on stop() sends SIGTERM, then SIGKILL after a grace period.
 */
export class AppSupervisor {
  private readonly backoff: RestartBackoff;
  private readonly stopGraceMs: number;
  private readonly log: (message: string) => void;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private consecutiveFailures = 0;
  private restartCount = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: AppSupervisorOptions) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.stopGraceMs = options.stopGraceMs ?? 20_000;
    this.log = options.log ?? ((message) => process.stdout.write(`${message}\n`));
  }

  get label(): string {
    return this.options.label;
  }

  /** How many times the app has been restarted since start(). */
  get restarts(): number {
    return this.restartCount;
  }

  start(): void {
    if (this.child || this.stopping) return;
    this.spawnApp();
  }

  /** Stops restarting and ends the running app; resolves once it has exited. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.terminate();
    return this.stopping;
  }

  private spawnApp(): void {
    const { command, args = [], cwd, env } = this.options;
    // Own process group: a terminal's Ctrl-C signals the whole foreground group, and an app that heard
    // it directly would exit and race the restart logic; here only the supervisor stops its apps.
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.startedAt = Date.now();
    const prefix = this.options.outputPrefix ?? `[${this.options.label}] `;
    pipeLines(child.stdout, this.options.stdout ?? process.stdout, prefix);
    pipeLines(child.stderr, this.options.stderr ?? process.stderr, prefix);
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    child.on('error', (error) => {
      // Without a pid the spawn itself failed (no 'exit' follows); other errors (a failed kill) are not exits.
      if (child.pid === undefined) this.onExit(child, null, null, error);
    });
    this.options.onSpawn?.(this.restartCount);
  }

  private onExit(
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
    error?: Error,
  ): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopping) return;
    if (Date.now() - this.startedAt >= this.backoff.resetAfterMs) this.consecutiveFailures = 0;
    const delayMs = Math.min(
      this.backoff.maxMs,
      this.backoff.initialMs * 2 ** Math.min(this.consecutiveFailures, 30),
    );
    this.consecutiveFailures++;
    this.restartCount++;
    const how = error
      ? `failed to start (${error.message})`
      : signal
        ? `was killed by ${signal}`
        : `exited with code ${code}`;
    this.log(
      `${this.options.label} ${how}; restarting in ${formatDelay(delayMs)} (restart ${this.restartCount})`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.stopping) this.spawnApp();
    }, delayMs);
  }

  private async terminate(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const killTimer = setTimeout(() => {
        this.log(
          `${this.options.label} still running ${formatDelay(this.stopGraceMs)} after SIGTERM; SIGKILL`,
        );
        child.kill('SIGKILL');
      }, this.stopGraceMs);
      child.once('exit', () => {
        clearTimeout(killTimer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}

function formatDelay(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Number((ms / 1_000).toFixed(1))} s`;
}

/** Copies a stream line by line, each line prefixed, so interleaved apps stay readable. */
function pipeLines(
  source: NodeJS.ReadableStream | null,
  target: NodeJS.WritableStream,
  prefix: string,
): void {
  if (!source) return;
  let pending = '';
  // Decoded by the stream so a multi-byte character split across chunks stays whole.
  source.setEncoding('utf8');
  source.on('data', (chunk: string) => {
    const lines = (pending + chunk).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) target.write(`${prefix}${line}\n`);
  });
  source.on('end', () => {
    if (pending) target.write(`${prefix}${pending}\n`);
    pending = '';
  });
}
