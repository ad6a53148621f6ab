import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { DEVELOPMENT_ADMIN_JWT_SECRET, developmentSecretsKey } from '@lms/config';
import {
  createTestDatabase,
  deleteTestTopics,
  freePort,
  repositoryRoot,
  stackEnv,
  uniqueKafkaNames,
  waitFor,
  type AppName,
  type TestDatabase,
} from '@lms/testing';

/**
 * Issue 15 item 7, on the built apps as processes (`node dist/apps/<app>/src/main.js`): production
 * refuses the published development values and names them; the ALLOW_* switches it accepts are
 * reported; every app listens where BIND_HOST says (127.0.0.2, on loopback like everything here).
 */
const ROOT = repositoryRoot();
const PORT_VARIABLE: Record<AppName, string> = {
  'admin-api': 'ADMIN_API_PORT',
  'event-ingestion': 'INGESTION_PORT',
  dispatcher: 'DISPATCHER_PORT',
};

interface RunningApp {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function spawnApp(name: AppName, env: Record<string, string>): RunningApp {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', name, 'src/main.js')], {
    cwd: ROOT,
    // Only what the test gives: no NODE_ENV or secret leaks in from the shell running the suite.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => chunks.join(''), exited };
}

async function stop(app: RunningApp): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
  await app.exited;
  clearTimeout(timer);
}

/** What an operator sets in production: own random values. */
function ownProductionSecrets(): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ADMIN_JWT_SECRET: randomBytes(48).toString('base64'),
    ADMIN_JWT_ISSUER: 'https://lms.test',
    ADMIN_JWT_AUDIENCE: 'lms-webhooks',
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  };
}

describe('published defaults do not work in production (the built apps)', () => {
  it.each([
    ['admin-api', { ADMIN_JWT_SECRET: DEVELOPMENT_ADMIN_JWT_SECRET }, ['ADMIN_JWT_SECRET']],
    [
      'admin-api',
      { ADMIN_JWT_SECRET: 'change-me-to-a-long-random-secret-of-32-chars' },
      ['ADMIN_JWT_SECRET'],
    ],
    [
      'admin-api',
      { ADMIN_JWT_ISSUER: '', ADMIN_JWT_AUDIENCE: '' },
      ['ADMIN_JWT_ISSUER', 'ADMIN_JWT_AUDIENCE'],
    ],
    [
      'admin-api',
      { SECRETS_ENCRYPTION_KEY: developmentSecretsKey().toString('base64') },
      ['SECRETS_ENCRYPTION_KEY'],
    ],
    [
      'dispatcher',
      { SECRETS_ENCRYPTION_KEY: 'REPLACE+ME+WITH+32+RANDOM+BYTES+BASE64+XXXXX=' },
      ['SECRETS_ENCRYPTION_KEY'],
    ],
    [
      'dispatcher',
      { SECRETS_ENCRYPTION_KEY: developmentSecretsKey().toString('hex') },
      ['SECRETS_ENCRYPTION_KEY'],
    ],
  ] as const)(
    '%s refuses to boot with %j, naming %j',
    async (name, override, variables) => {
      const app = spawnApp(name, { ...ownProductionSecrets(), ...override, [PORT_VARIABLE[name]]: '0' });
      expect(await app.exited).toBe(1);
      for (const variable of variables) expect(app.output()).toContain(`${variable}: `);
      expect(app.output()).toContain('Invalid configuration');
    },
    30_000,
  );
});

describe('the apps listen where BIND_HOST says, and report ALLOW_* switches in production', () => {
  let database: TestDatabase;
  const kafka = uniqueKafkaNames('bind_host');
  const running: RunningApp[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('bind_host');
  });
  afterAll(async () => {
    await Promise.all(running.map(stop));
    await deleteTestTopics([kafka.topic, kafka.dlqTopic]).catch(() => undefined);
    await database?.drop();
  });

  async function startOn(
    name: AppName,
    env: Record<string, string>,
  ): Promise<{ app: RunningApp; port: number }> {
    const port = await freePort();
    const app = spawnApp(name, {
      ...stackEnv({ databaseUrl: database.url, topic: kafka.topic, group: kafka.group }),
      LOG_LEVEL: 'info',
      LOG_FORMAT: 'json',
      BIND_HOST: '127.0.0.2',
      ...env,
      [PORT_VARIABLE[name]]: String(port),
    });
    running.push(app);
    const state = await waitFor(
      `${name} to answer on 127.0.0.2:${port}`,
      async () => {
        if (app.child.exitCode !== null) return 'exited';
        const answer = await fetch(`http://127.0.0.2:${port}/health/live`).catch(() => undefined);
        return answer?.status === 200 ? 'live' : undefined;
      },
      60_000,
      200,
    );
    if (state === 'exited') throw new Error(`${name} exited:\n${app.output().slice(-3000)}`);
    return { app, port };
  }

  it.each(['admin-api', 'event-ingestion', 'dispatcher'] as const)(
    '%s listens on 127.0.0.2 only',
    async (name) => {
      const { port } = await startOn(name, {});
      const elsewhere = await fetch(`http://127.0.0.1:${port}/health/live`).then(
        () => 'answered',
        (error: Error & { cause?: { code?: string } }) => error.cause?.code,
      );
      expect(elsewhere).toBe('ECONNREFUSED');
    },
    90_000,
  );

  it.each(['admin-api', 'dispatcher'] as const)(
    '%s in production shows ALLOW_* on /metrics and warns about the ones that are on',
    async (name) => {
      const { app, port } = await startOn(name, {
        ...ownProductionSecrets(),
        ALLOW_PRIVATE_TARGETS: 'true',
        ALLOW_HTTP_TARGETS: 'false',
      });
      const metrics = await (await fetch(`http://127.0.0.2:${port}/metrics`)).text();
      expect(metrics).toContain('lmsw_config_flag{name="ALLOW_PRIVATE_TARGETS"} 1');
      expect(metrics).toContain('lmsw_config_flag{name="ALLOW_HTTP_TARGETS"} 0');
      const warnings = app
        .output()
        .split('\n')
        .filter((line) => line.includes('"flag"'))
        .map((line) => JSON.parse(line) as { level: number; flag: string });
      expect(warnings).toEqual([expect.objectContaining({ level: 40, flag: 'ALLOW_PRIVATE_TARGETS' })]);
    },
    90_000,
  );
});
