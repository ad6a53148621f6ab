/**
 * `npm start`: the whole system on this machine, no Docker.
 * Kafka (scripts/kafka.sh) → Postgres/Redis reachable? → database created if missing → migrations →
 * admin-api, event-ingestion and DISPATCHER_REPLICAS dispatchers as child processes with prefixed logs.
 * Ctrl-C (or SIGTERM) stops everything it started, Kafka included when it started it.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';

const ROOT = path.resolve(__dirname, '../..');
const DEV_DEFAULTS: Record<string, string> = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/lms_webhooks',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
  ADMIN_JWT_SECRET: 'dev-only-admin-jwt-secret-change-me-0123456789',
  // Local development delivers to listeners on this machine; production keeps both false.
  ALLOW_PRIVATE_TARGETS: 'true',
  ALLOW_HTTP_TARGETS: 'true',
};

interface RunningApp {
  label: string;
  child: ChildProcess;
}

function env(): Record<string, string> {
  const merged: Record<string, string> = { ...DEV_DEFAULTS };
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) merged[key] = value;
  return merged;
}

function log(message: string): void {
  process.stdout.write(`\x1b[1m[stack]\x1b[0m ${message}\n`);
}

async function ensureDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(databaseUrl);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

function startApp(label: string, app: string, appEnv: Record<string, string>): RunningApp {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/apps', app, 'src/main.js')], {
    cwd: ROOT,
    env: appEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = `\x1b[36m[${label}]\x1b[0m `;
  const pipe = (stream: NodeJS.ReadableStream | null, out: NodeJS.WriteStream) => {
    let pending = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) out.write(prefix + line + '\n');
    });
  };
  pipe(child.stdout, process.stdout);
  pipe(child.stderr, process.stderr);
  return { label, child };
}

async function waitReady(label: string, port: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
    if (response?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${label} not ready on port ${port} after ${timeoutMs / 1000}s`);
}

async function main(): Promise<void> {
  const stackEnv = env();
  const kafkaWasRunning = (() => {
    try {
      execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'status']);
      return true;
    } catch {
      return false;
    }
  })();
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start'], { stdio: 'inherit', env: stackEnv });
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/check-services.js')], {
    stdio: 'inherit',
    env: stackEnv,
  });
  await ensureDatabase(stackEnv.DATABASE_URL);
  execFileSync(
    process.execPath,
    [path.join(ROOT, 'dist/libs/webhook-domain/src/migrations/run-migrations.js')],
    {
      stdio: 'inherit',
      env: stackEnv,
    },
  );

  const adminPort = Number(stackEnv.ADMIN_API_PORT ?? 3000);
  const ingestionPort = Number(stackEnv.INGESTION_PORT ?? 3001);
  const dispatcherPort = Number(stackEnv.DISPATCHER_PORT ?? 3002);
  const replicas = Math.max(1, Number(stackEnv.DISPATCHER_REPLICAS ?? 1));
  // Migrations already ran once above; the apps skip theirs so they boot in parallel without waiting on the lock.
  const appEnv = { ...stackEnv, MIGRATE_ON_BOOT: 'false' };

  const apps: RunningApp[] = [
    startApp('admin-api', 'admin-api', { ...appEnv, ADMIN_API_PORT: String(adminPort) }),
    startApp('ingestion', 'event-ingestion', { ...appEnv, INGESTION_PORT: String(ingestionPort) }),
  ];
  // Dispatcher replicas take consecutive ports after the first one, skipping the others' ports.
  const dispatcherPorts: number[] = [];
  for (let port = dispatcherPort; dispatcherPorts.length < replicas; port++) {
    if (port !== adminPort && port !== ingestionPort) dispatcherPorts.push(port);
  }
  dispatcherPorts.forEach((port, index) =>
    apps.push(
      startApp(`dispatcher-${index + 1}`, 'dispatcher', { ...appEnv, DISPATCHER_PORT: String(port) }),
    ),
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    await Promise.all(
      apps.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
          }),
      ),
    );
    if (!kafkaWasRunning)
      execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'stop'], { stdio: 'inherit' });
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const app of apps) {
    app.child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`${app.label} exited (${signal ?? code}); stopping the stack`);
      void stop(1);
    });
  }

  try {
    await Promise.all([
      waitReady('admin-api', adminPort),
      waitReady('event-ingestion', ingestionPort),
      ...dispatcherPorts.map((port, index) => waitReady(`dispatcher-${index + 1}`, port)),
    ]);
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    return stop(1);
  }
  log('ready.');
  log(
    `admin API        http://127.0.0.1:${adminPort}/api/v1   (Swagger UI: http://127.0.0.1:${adminPort}/docs)`,
  );
  log(
    `ingestion        http://127.0.0.1:${ingestionPort}/health/ready  /metrics   topic ${stackEnv.KAFKA_EVENTS_TOPIC ?? 'lms.events'}`,
  );
  dispatcherPorts.forEach((port, index) =>
    log(`dispatcher-${index + 1}     http://127.0.0.1:${port}/health/ready  /metrics`),
  );
  log('try it:  npm run demo            (in another terminal: webhook + listener + sample events)');
  log('         npm run token -- --account 1010');
  log('         npm run produce -- --account 1010 --event COURSE_ENROLLMENT --count 10');
  log('Ctrl-C stops everything.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
