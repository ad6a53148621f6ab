import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './app-processes';
import { waitFor } from './wait-for';

/** How the postmaster is asked to go: `fast` ends every session and checkpoints; `immediate` is a crash. */
export type PostgresShutdownMode = 'smart' | 'fast' | 'immediate';

const SHUTDOWN_SIGNAL: Record<PostgresShutdownMode, NodeJS.Signals> = {
  smart: 'SIGTERM',
  fast: 'SIGINT',
  immediate: 'SIGQUIT',
};

export interface PrivatePostgresOptions {
  /**
   * postgresql.conf lines beyond those below (`name: value`, value as written in the file). The
   * defaults are a small production server: autovacuum on with its stock thresholds, fsync and
   * synchronous commit on, shared_buffers 32MB.
   */
  settings?: Record<string, string>;
}

const DEFAULT_SETTINGS: Record<string, string> = {
  listen_addresses: `'127.0.0.1'`,
  autovacuum: 'on',
  fsync: 'on',
  synchronous_commit: 'on',
  shared_buffers: `'32MB'`,
  max_connections: '200',
  logging_collector: 'off',
  log_min_messages: 'warning',
};

/**
 * A Postgres server of this run's own: a fresh `initdb` in a temporary directory (trust auth,
 * 127.0.0.1 only, a free port), configured as production would be rather than as the machine's shared
 * server (which runs with autovacuum off and must never be restarted). `restart()` takes it down and
 * up again with its data, as an operator's restart or a failover does; `remove()` deletes everything.
 *
 * initdb and postgres refuse to run as root: as root, both run as the `postgres` system user.
 */
export class PrivatePostgres {
  private child?: ChildProcess;
  private readonly output: string[] = [];

  private constructor(
    readonly port: number,
    /** The temporary directory: `data/` (the cluster) and the Unix socket live in it. */
    readonly directory: string,
    private readonly binaries: string,
    private readonly runAs: { uid: number; gid: number } | undefined,
  ) {}

  /** initdb, then start; resolves once it answers queries. */
  static async start(options: PrivatePostgresOptions = {}): Promise<PrivatePostgres> {
    const binaries = postgresBinaries();
    const runAs = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
    const directory = mkdtempSync(path.join(os.tmpdir(), 'lmsw-pg-'));
    if (runAs) chownSync(directory, runAs.uid, runAs.gid);
    const server = new PrivatePostgres(await freePort(), directory, binaries, runAs);
    try {
      server.initdb({ ...DEFAULT_SETTINGS, ...options.settings });
      await server.resume();
      return server;
    } catch (error) {
      await server.remove();
      throw error;
    }
  }

  get dataDirectory(): string {
    return path.join(this.directory, 'data');
  }

  /** Superuser URL of the `postgres` database: what createTestDatabase / IsolatedStack take as admin URL. */
  get adminUrl(): string {
    return this.urlFor('postgres');
  }

  urlFor(database: string): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The server's last output lines (it logs to stderr), for a failure message. */
  recentOutput(): string {
    return this.output.join('').slice(-4000);
  }

  /** Starts the server again on the same port and data; resolves once it answers queries. */
  async resume(): Promise<void> {
    if (this.running) return;
    const child = spawn(path.join(this.binaries, 'postgres'), ['-D', this.dataDirectory], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...this.runAs,
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    try {
      await waitFor(
        `private postgres on ${this.port}`,
        async () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`postgres exited with ${child.exitCode ?? child.signalCode}`);
          return this.answers();
        },
        30_000,
        100,
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${(error as Error).message}\n--- postgres output ---\n${this.recentOutput()}`, {
        cause: error,
      });
    }
  }

  /** Shuts the server down (`fast` by default: sessions ended, checkpoint) and waits until it has exited. */
  async stop(mode: PostgresShutdownMode = 'fast', timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(SHUTDOWN_SIGNAL[mode]);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stop (`fast` by default), then start again once `whileDown` resolves: the outage lasts until the
   * caller has seen it felt, not a fixed time.
   */
  async restart(
    whileDown: () => Promise<void> = async () => {},
    mode: PostgresShutdownMode = 'fast',
  ): Promise<void> {
    await this.stop(mode);
    await whileDown();
    await this.resume();
  }

  /** Stops the server at once (`immediate`) if it runs, and deletes its directory. */
  async remove(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async answers(): Promise<boolean> {
    const client = new Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private initdb(settings: Record<string, string>): void {
    try {
      execFileSync(
        path.join(this.binaries, 'initdb'),
        ['-D', this.dataDirectory, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
        { stdio: 'pipe', cwd: this.directory, ...this.runAs },
      );
    } catch (error) {
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`initdb failed: ${(error as Error).message}\n${stderr}`, { cause: error });
    }
    const lines = Object.entries({
      ...settings,
      port: String(this.port),
      // The socket next to the data, not in /var/run/postgresql (the machine's server's directory).
      unix_socket_directories: `'${this.directory}'`,
    }).map(([name, value]) => `${name} = ${value}`);
    const file = path.join(this.dataDirectory, 'postgresql.conf');
    writeFileSync(file, `\n# lms-webhooks PrivatePostgres\n${lines.join('\n')}\n`, { flag: 'a' });
  }
}

/** The newest installed server's bin directory (Debian: /usr/lib/postgresql/<major>/bin), or pg_config's. */
function postgresBinaries(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((name) => existsSync(path.join(root, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors.length > 0) return path.join(root, majors[0], 'bin');
  }
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(path.join(bindir, 'initdb'))) return bindir;
  } catch {
    // no pg_config on PATH: fall through to the error below
  }
  throw new Error('no Postgres server binaries (initdb, postgres): install postgresql');
}

function systemUser(name: string): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (error) {
    throw new Error(`running as root, and there is no '${name}' user to run initdb and postgres as`, {
      cause: error,
    });
  }
}
