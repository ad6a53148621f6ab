/**
 * `npm start`: the whole system on this machine, no Docker.
 * Kafka (scripts/kafka.sh) → Postgres/Redis reachable? → database created if missing → migrations →
 * admin-api, event-ingestion and DISPATCHER_REPLICAS dispatchers as child processes with prefixed logs.
 * An app that exits or is killed is restarted with backoff (AppSupervisor); only Ctrl-C (or SIGTERM)
 * stops everything it started, Kafka included when it started it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { chooseLogFormat } from '@lms/observability';
import { AppSupervisor } from './stack/app-supervisor';
import { developmentStackEnv, localOrigin } from './stack/stack-environment';

const ROOT = path.resolve(__dirname, '../..');

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

/** Logs every 30 s while it waits, so an app stuck restarting at boot is visible without giving up on it. */
async function waitReady(label: string, origin: string, keepWaiting: () => boolean): Promise<boolean> {
  const startedAt = Date.now();
  let nextReminder = startedAt + 30_000;
  while (keepWaiting()) {
    const response = await fetch(`${origin}/health/ready`).catch(() => undefined);
    if (response?.status === 200) return true;
    if (Date.now() >= nextReminder) {
      const waited = Math.round((Date.now() - startedAt) / 1000);
      log(`still waiting for ${label} at ${origin} (${waited} s); its log above says why`);
      nextReminder += 30_000;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

/**
 * The apps write through pipes to this script, so they cannot see the terminal themselves: when this
 * script's output is a terminal (and not production), they are told to print readable coloured lines.
 * Redirected to a file or a pipe, or with LOG_FORMAT=json, they keep writing JSON lines.
 */
function logFormatFor(stackEnv: Record<string, string>): Record<string, string> {
  if (chooseLogFormat(stackEnv, process.stdout.isTTY === true) !== 'pretty') return {};
  return { LOG_FORMAT: 'pretty', ...(stackEnv.NO_COLOR ? {} : { FORCE_COLOR: '1' }) };
}

async function main(): Promise<void> {
  const stackEnv = developmentStackEnv(process.env);
  const local = (port: number) => localOrigin(stackEnv.BIND_HOST, port);
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
  const appEnv = { ...stackEnv, MIGRATE_ON_BOOT: 'false', ...logFormatFor(stackEnv) };

  // Dispatcher replicas take consecutive ports after the first one, skipping the others' ports.
  const dispatcherPorts: number[] = [];
  for (let port = dispatcherPort; dispatcherPorts.length < replicas; port++) {
    if (port !== adminPort && port !== ingestionPort) dispatcherPorts.push(port);
  }
  const apps: { label: string; app: string; port: number; env: Record<string, string> }[] = [
    { label: 'admin-api', app: 'admin-api', port: adminPort, env: { ADMIN_API_PORT: String(adminPort) } },
    {
      label: 'ingestion',
      app: 'event-ingestion',
      port: ingestionPort,
      env: { INGESTION_PORT: String(ingestionPort) },
    },
    ...dispatcherPorts.map((port, index) => ({
      label: `dispatcher-${index + 1}`,
      app: 'dispatcher',
      port,
      env: { DISPATCHER_PORT: String(port) },
    })),
  ];

  let stopping = false;
  const supervisors = apps.map(({ label, app, port, env: ownEnv }) => {
    const supervisor: AppSupervisor = new AppSupervisor({
      label,
      command: process.execPath,
      args: [path.join(ROOT, 'dist/apps', app, 'src/main.js')],
      cwd: ROOT,
      env: { ...appEnv, ...ownEnv },
      outputPrefix: `\x1b[36m[${label}]\x1b[0m `,
      log,
      onSpawn: (restarts) => {
        if (restarts === 0) return;
        // Announces only this run: a newer restart supersedes the wait.
        const current = () => !stopping && supervisor.restarts === restarts;
        void waitReady(label, local(port), current).then((ready) => {
          if (ready) log(`${label} is ready again (restart ${restarts})`);
        });
      },
    });
    return supervisor;
  });
  const stop = async () => {
    if (stopping) return log('already stopping; the apps get SIGKILL 20 s after SIGTERM');
    stopping = true;
    log('stopping…');
    await Promise.all(supervisors.map((supervisor) => supervisor.stop()));
    try {
      if (!kafkaWasRunning)
        execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'stop'], { stdio: 'inherit' });
    } catch {
      log('scripts/kafka.sh stop failed (see above); the broker may still be running');
    }
    log('stopped.');
    process.exit(0);
  };
  // SIGHUP too: the apps run in their own process groups, so a closed terminal reaches only this script.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
  for (const supervisor of supervisors) supervisor.start();

  const ready = await Promise.all(
    apps.map(({ label, port }) => waitReady(label, local(port), () => !stopping)),
  );
  if (!ready.every(Boolean)) return;
  log('ready.');
  log(`console          ${local(adminPort)}/console`);
  log(`admin API        ${local(adminPort)}/api/v1   (Swagger UI: ${local(adminPort)}/docs)`);
  log(
    `ingestion        ${local(ingestionPort)}/health/ready  /metrics   topic ${stackEnv.KAFKA_EVENTS_TOPIC ?? 'lms.events'}`,
  );
  dispatcherPorts.forEach((port, index) =>
    log(`dispatcher-${index + 1}     ${local(port)}/health/ready  /metrics`),
  );
  log('sign in: npm run token -- --account 1010 --console   (prints the console URL to open)');
  log('try it:  npm run demo            (in another terminal: webhook + listener + sample events)');
  log('         npm run token -- --account 1010');
  log('         npm run produce -- --account 1010 --event COURSE_ENROLLMENT --count 10');
  log('An app that exits is restarted with backoff; Ctrl-C stops everything.');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
