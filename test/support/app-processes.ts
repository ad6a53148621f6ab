import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from './wait-for';

export type AppName = 'admin-api' | 'event-ingestion' | 'dispatcher';

/** The repository root, whether this file runs from source (jest) or compiled into dist/ (the bench). */
export function repositoryRoot(from = __dirname): string {
  let directory = from;
  while (!existsSync(path.join(directory, 'package.json')) || path.basename(directory) === 'dist') {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${from}`);
    directory = parent;
  }
  return directory;
}

const ROOT = repositoryRoot();
const PORT_VARIABLE: Record<AppName, string> = {
  'admin-api': 'ADMIN_API_PORT',
  'event-ingestion': 'INGESTION_PORT',
  dispatcher: 'DISPATCHER_PORT',
};

export interface AppProcess {
  name: AppName;
  port: number;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

/** A free port chosen by the OS, so parallel test files never collide. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts one app as a real process from dist/ (as production runs it) and waits until /health/ready
 * answers 200. Output is kept for the test's failure message.
 */
export async function startAppProcess(
  name: AppName,
  env: Record<string, string>,
  readyTimeoutMs = 60_000,
): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', name, 'src/main.js')], {
    cwd: ROOT,
    env: { ...process.env, ...env, [PORT_VARIABLE[name]]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.shift();
    if (process.env.APP_OUTPUT === '1') process.stderr.write(`[${name}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const app: AppProcess = { name, port, child, output, exited };
  try {
    // An app that dies at boot fails the wait at once, instead of polling until the timeout.
    const state = await waitFor(
      `${name} to be ready on port ${port}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return response?.status === 200 ? 'ready' : undefined;
      },
      readyTimeoutMs,
      200,
    );
    if (state === 'exited') {
      throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode} before it was ready`);
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${output.join('').slice(-4000)}`, {
      cause: error,
    });
  }
  return app;
}

export async function stopAppProcess(
  app: AppProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 20_000,
): Promise<number | null> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return app.child.exitCode;
  app.child.kill(signal);
  const timer = setTimeout(() => app.child.kill('SIGKILL'), timeoutMs);
  try {
    return await app.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Env shared by every app of one test stack: its own database, topic, consumer group and queue prefix. */
export function stackEnv(options: {
  databaseUrl: string;
  topic: string;
  group: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_APP_LOG_LEVEL ?? 'warn',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `lmsw-test-${randomBytes(4).toString('hex')}`,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    KAFKA_EVENTS_TOPIC: options.topic,
    KAFKA_CONSUMER_GROUP: options.group,
    KAFKA_EVENTS_PARTITIONS: '3',
    ADMIN_JWT_SECRET: 'test-only-admin-jwt-secret-0123456789abcdef',
    ALLOW_PRIVATE_TARGETS: 'true',
    ALLOW_HTTP_TARGETS: 'true',
    ...options.extra,
  };
}
