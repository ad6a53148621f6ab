// `npm run bench`: the scenarios of the "proof and operations" issue on this machine, one table.
//   BENCH_QUICK=1 npm run bench      everything small (~1-2 minutes), for development
//   BENCH_EVENTS=20000 npm run bench  scale (2) down; see bench-settings.ts for every knob
// Needs Postgres and Redis running (checked); starts Kafka with scripts/kafka.sh when it is not.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serializeEnvelope, signStandardWebhook } from '@lms/http-delivery';
import { buildExampleEvent, REALTIME_EVENT_NAMES, type EventName } from '@lms/payload-schemas';
import Redis from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { Client } from 'pg';
import { readBenchSettings, type BenchSettings, type ScenarioName } from './bench-settings';
import { runCeilingLoop } from './load/ceiling-loop';
import { BenchReceiver } from './receiver/bench-receiver';
import type { RunStats } from './receiver/receiver-protocol';
import {
  aggregateUsage,
  formatTable,
  formatUsage,
  type BenchResults,
  type DeliveryRunResult,
  type IngestionRunResult,
} from './report/bench-report';
import { cpuMsPerThousandEvents } from './report/cpu-per-event';
import { balanceRun } from './report/run-balance';
import {
  connectBenchProducer,
  createBenchKafka,
  IsolatedStack,
  PrivatePostgres,
  PrivateRedis,
  produceBurst,
  producePaced,
  repositoryRoot,
  type LoadPlan,
  type ProduceResult,
} from '@lms/testing';
import { ProcessSampler, type UsageReport } from './stack/process-sampler';
import { RunProbe, type ProbeResult } from './stack/run-probe';

const ROOT = repositoryRoot();
const BENCH_EVENT_NAMES: EventName[] = ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'];
const FIRST_ACCOUNT_ID = 9001;

interface BenchContext {
  settings: BenchSettings;
  receiver: BenchReceiver;
  stack: IsolatedStack;
  kafka: Kafka;
  producer: Producer;
  plan: LoadPlan;
  results: BenchResults;
}

const progress = new (class ProgressLine {
  private last = 0;
  update(text: string, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < (process.stdout.isTTY ? 250 : 5000)) return;
    this.last = now;
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K  ${text}`);
    else console.log(`  ${text}`);
  }
  done(text: string): void {
    if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K');
    console.log(`  ${text}`);
  }
})();

function prepareServices(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/check-services.js')], { stdio: 'inherit' });
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start'], { stdio: 'inherit' });
  for (const app of ['event-ingestion', 'dispatcher']) {
    const main = path.join(ROOT, 'dist/apps', app, 'src/main.js');
    if (!existsSync(main))
      throw new Error(`${main} is missing: run \`npm run build\` first (npm run bench does)`);
  }
}

/** Waits until every event of `run` reached the receiver, or nothing new arrived for the stall timeout. */
async function awaitDeliveries(
  context: BenchContext,
  label: string,
  run: string,
  expected: number,
  producedSoFar: () => number,
  startedAt: number,
): Promise<RunStats> {
  let lastCount = -1;
  let lastChange = Date.now();
  for (;;) {
    const stats = await context.receiver.stats(run, expected);
    const elapsed = (Date.now() - startedAt) / 1000;
    progress.update(
      `[${label}] produced ${producedSoFar()}/${expected} · delivered ${stats.uniqueEvents} · ${Math.round(stats.uniqueEvents / Math.max(elapsed, 0.001))} ev/s · ${elapsed.toFixed(0)} s`,
    );
    if (stats.uniqueEvents >= expected) {
      // A short settle, so late duplicates (a retried send whose first copy did arrive) are counted.
      await sleep(1000);
      return context.receiver.stats(run, expected);
    }
    if (stats.uniqueEvents !== lastCount) {
      lastCount = stats.uniqueEvents;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > context.settings.stallTimeoutMs && producedSoFar() >= expected) {
      return stats;
    }
    await sleep(250);
  }
}

async function deliveryRun(
  context: BenchContext,
  label: string,
  run: string,
  events: number,
  produce: (onProgress: (produced: number) => void) => Promise<ProduceResult>,
  sampleUsage = false,
  probeStages = false,
): Promise<DeliveryRunResult> {
  let produced = 0;
  // Stages, Postgres and Redis counters, lock waits: read before the run starts and after it ends.
  const probe = probeStages ? await RunProbe.start(context.stack) : undefined;
  const sampler = sampleUsage ? new ProcessSampler(() => watched) : undefined;
  let watched = await context.stack.watchedProcesses([
    { name: 'receiver', pid: context.receiver.pid },
    { name: 'bench driver (producer)', pid: process.pid },
  ]);
  sampler?.start();
  const startedAt = Date.now();
  const producing = produce((count) => (produced = count));
  const stats = await awaitDeliveries(context, label, run, events, () => produced, startedAt);
  const production = await producing;
  const usage: UsageReport | undefined = sampler?.stop();
  watched = [];
  const probed: ProbeResult | undefined = await probe?.finish(stats.uniqueEvents);
  const balance = balanceRun(events, stats);
  const seconds = ((stats.lastReceivedAt ?? Date.now()) - production.startedAt) / 1000;
  const result: DeliveryRunResult = {
    run,
    events,
    dispatchers: context.stack.dispatchers.length,
    seconds: Math.round(seconds * 100) / 100,
    eventsPerSecond: Math.round(stats.uniqueEvents / seconds),
    requestsPerSecond: Math.round(stats.requests / seconds),
    latencyMs: stats.latencyMs,
    requests: stats.requests,
    eventsPerRequest: stats.eventsPerRequest,
    repeatedDeliveries: stats.repeatedDeliveries,
    balance,
    usage,
    cpuMsPer1000Events: usage ? cpuMsPerThousandEvents(usage, stats.uniqueEvents) : undefined,
    producer: {
      seconds: (production.finishedAt - production.startedAt) / 1000,
      maxLagMs: production.maxProducerLagMs,
    },
    ...(probed ? { stages: probed.stages, counters: probed.counters } : {}),
  };
  progress.done(
    `[${label}] ${result.eventsPerSecond} events/s over ${result.seconds} s; latency p50/p99 ${stats.latencyMs?.p50 ?? '-'}/${stats.latencyMs?.p99 ?? '-'} ms; ` +
      `${result.requestsPerSecond} req/s, ${stats.eventsPerRequest?.mean ?? '-'} events/req (p50 ${stats.eventsPerRequest?.p50 ?? '-'}, p99 ${stats.eventsPerRequest?.p99 ?? '-'}); ` +
      `${balance.valid ? 'balanced' : `VOID (${balance.voidReason})`}; ${balance.duplicates} duplicates; signatures checked ${stats.signaturesChecked}, failed ${stats.signatureFailures}`,
  );
  if (usage) console.log(`  ${formatUsage('  usage', usage)}`);
  if (result.cpuMsPer1000Events)
    console.log(`    CPU ms per 1,000 events delivered: ${JSON.stringify(result.cpuMsPer1000Events)}`);
  if (probed) {
    const stages = Object.entries(probed.stages)
      .map(([stage, s]) => `${stage} ${s.p50Ms ?? '-'}/${s.p99Ms ?? '-'} ms (${s.count})`)
      .join(' · ');
    console.log(`    lane stages p50/p99: ${stages}`);
    const { perThousandEvents: per, totals, lockWaits } = probed.counters;
    console.log(
      `    per 1,000 events: ${per.commits ?? '-'} commits, ${per.statements ?? 'n/a'} statements, ${per.redisCommands ?? '-'} Redis commands (${per.redisCommandsLessIdle ?? '-'} less the idle rate); ` +
        `deadlocks ${totals.deadlocks}; lock waiters seen in ${lockWaits.samplesWithWaiter}/${lockWaits.samples} samples`,
    );
  }
  return result;
}

async function scenarioCeiling(context: BenchContext): Promise<void> {
  const { settings, receiver, plan } = context;
  // The same body shape and size as a real delivery of one event.
  const sample = buildExampleEvent('COURSE_ENROLLMENT', {
    accountId: plan.accountIds[0],
    eventId: 'ceiling-0',
  });
  const body = serializeEnvelope(sample.accountId, [{ ...sample, dataJson: JSON.stringify(sample.data) }]);
  const timestamp = Math.floor(Date.now() / 1000);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'lms-webhooks-bench',
    'webhook-id': '00000000-0000-4000-8000-000000000000',
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signStandardWebhook(
      [context.stack.webhooks[0].secret],
      '00000000-0000-4000-8000-000000000000',
      timestamp,
      body,
    ),
  };
  progress.update(`[ceiling] ${settings.concurrency} connections for ${settings.ceilingSeconds} s…`, true);
  const before = (await receiver.ceilingStats()).requests;
  const result = await runCeilingLoop(
    receiver.urlFor(''),
    body,
    headers,
    settings.ceilingSeconds * 1000,
    settings.concurrency,
  );
  const counted = (await receiver.ceilingStats()).requests - before;
  context.results.ceiling = { ...result, receiverCounted: counted };
  progress.done(
    `[ceiling] ${result.requestsPerSecond} req/s (${result.requests} requests, receiver counted ${counted}, ${result.errors} errors)`,
  );
}

async function warmUp(context: BenchContext, run: string): Promise<void> {
  const count = 300;
  const { producer, stack, plan } = context;
  await produceBurst(producer, stack.topic, plan, run, count);
  await awaitDeliveries(context, 'warm-up', run, count, () => count, Date.now());
  progress.done(`[warm-up] ${count} events delivered (JIT, connection pools, subscription caches)`);
}

async function scenarioThroughput(context: BenchContext): Promise<void> {
  const { settings, producer, stack, plan } = context;
  const events = settings.throughputEvents;
  const result = await deliveryRun(
    context,
    'throughput',
    'tp',
    events,
    (onProgress) => produceBurst(producer, stack.topic, plan, 'tp', events, onProgress),
    true,
    true,
  );
  const ceiling = context.results.ceiling?.requestsPerSecond;
  context.results.throughput = {
    ...result,
    ratioToCeiling: ceiling ? Math.round((result.eventsPerSecond / ceiling) * 100) / 100 : null,
  };
  if (result.usage) {
    const { peakRssMb, cpuCores } = aggregateUsage(result.usage);
    context.results.memory = { peakRssMb, cpuCores, machineBusy: result.usage.machineBusy };
  }
}

async function scenarioLatency(context: BenchContext): Promise<void> {
  const { settings, producer, stack, plan } = context;
  const events = settings.latencyRate * settings.latencySeconds;
  const result = await deliveryRun(
    context,
    'latency',
    'lat',
    events,
    (onProgress) =>
      producePaced(producer, stack.topic, plan, 'lat', events, settings.latencyRate, onProgress),
    true,
    true,
  );
  context.results.latency = {
    ...result,
    ratePerSecond: settings.latencyRate,
    durationSeconds: settings.latencySeconds,
  };
}

async function scenarioScale(context: BenchContext): Promise<void> {
  const { settings, producer, stack, plan } = context;
  for (const replicas of settings.scaleReplicas) {
    progress.update(`[scale] starting ${replicas} dispatcher replica(s)…`, true);
    await stack.stopDispatchers();
    await stack.startDispatchers(replicas);
    await warmUp(context, `warm${replicas}`);
    const run = `scale${replicas}`;
    const result = await deliveryRun(
      context,
      `scale ×${replicas}`,
      run,
      settings.scaleEvents,
      (onProgress) => produceBurst(producer, stack.topic, plan, run, settings.scaleEvents, onProgress),
      true,
    );
    context.results.scale.push(result);
  }
}

async function scenarioIngestionAlone(context: BenchContext): Promise<void> {
  const { settings, producer, stack, plan } = context;
  const events = settings.ingestEvents;
  progress.update('[ingestion] stopping the dispatcher and the ingestion, pre-producing the backlog…', true);
  await stack.stopDispatchers();
  await stack.stopIngestion();
  await produceBurst(producer, stack.topic, plan, 'ing', events, (produced) =>
    progress.update(`[ingestion] pre-produced ${produced}/${events}`),
  );
  await stack.startIngestion();
  const sampler = new ProcessSampler(() => watched);
  let watched = await stack.watchedProcesses([{ name: 'bench driver (producer)', pid: process.pid }]);
  sampler.start();
  let last = { count: -1, changedAt: Date.now() };
  let persisted: { count: number; firstAt: number | null };
  let finishedAt: number;
  for (;;) {
    persisted = await stack.persistedEvents('ing');
    finishedAt = Date.now();
    progress.update(`[ingestion] persisted ${persisted.count}/${events}`);
    if (persisted.count >= events) break;
    if (persisted.count !== last.count) last = { count: persisted.count, changedAt: Date.now() };
    else if (Date.now() - last.changedAt > settings.stallTimeoutMs) break;
    await sleep(100);
  }
  const usage = sampler.stop();
  watched = [];
  const seconds = (finishedAt - (persisted.firstAt ?? finishedAt)) / 1000;
  const valid = persisted.count === events;
  const result: IngestionRunResult = {
    run: 'ing',
    events,
    seconds: Math.round(seconds * 100) / 100,
    eventsPerSecond: seconds > 0 ? Math.round(persisted.count / seconds) : 0,
    persisted: persisted.count,
    valid,
    voidReason: valid ? null : `${events - persisted.count} of ${events} events not persisted`,
    usage,
    cpuMsPer1000Events: cpuMsPerThousandEvents(usage, persisted.count),
  };
  context.results.ingestion = result;
  progress.done(
    `[ingestion] ${result.eventsPerSecond} events/s persisted (${persisted.count}/${events} in ${result.seconds} s)${valid ? '' : ' VOID'}`,
  );
  console.log(`  ${formatUsage('  usage', usage)}`);
}

async function machineInfo(
  settings: BenchSettings,
  databaseUrl: string,
  redisUrl: string,
): Promise<Record<string, unknown>> {
  const cpus = os.cpus();
  const kafkaJar = (() => {
    try {
      return readdirSync(path.join(ROOT, '.kafka/libs')).find((file) => /^kafka-clients-.*\.jar$/.test(file));
    } catch {
      return undefined;
    }
  })();
  const pg = new Client({ connectionString: databaseUrl });
  const postgres = await pg
    .connect()
    .then(() => pg.query<{ server_version: string }>('SHOW server_version'))
    .then((result) => result.rows[0].server_version)
    .catch(() => 'unknown')
    .finally(() => pg.end().catch(() => undefined));
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const redisVersion = await redis
    .connect()
    .then(() => redis.info('server'))
    .then((info) => /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown')
    .catch(() => 'unknown')
    .finally(() => redis.disconnect());
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    kafka: kafkaJar?.replace(/^kafka-clients-(.*)\.jar$/, '$1') ?? 'unknown',
    postgres,
    redis: redisVersion,
    brokers: settings.brokers,
  };
}

async function main(): Promise<void> {
  const settings = readBenchSettings();
  const startedAt = new Date();
  console.log(`lms-webhooks bench${settings.quick ? ' (BENCH_QUICK)' : ''}: ${startedAt.toISOString()}`);
  prepareServices();
  const results: BenchResults = { scale: [], errors: [] };
  const receiver = await BenchReceiver.start();
  const kafka = createBenchKafka(settings.brokers);
  const accountIds = Array.from({ length: settings.accounts }, (_, index) => FIRST_ACCOUNT_ID + index);
  const plan: LoadPlan = { accountIds, eventNames: BENCH_EVENT_NAMES };
  // Its own Redis: its command counters then count this stack's commands only.
  const redis = await PrivateRedis.start();
  // Its own Postgres unless told otherwise: autovacuum on, as in production (dead tuples are part of
  // what is measured).
  const privatePostgres = settings.postgres === 'private' ? await PrivatePostgres.start() : undefined;
  console.log(
    `  postgres: ${privatePostgres ? `private on port ${privatePostgres.port} (autovacuum on)` : 'shared (DATABASE_URL)'}`,
  );
  const stack = await IsolatedStack.create({
    label: 'bench',
    databaseAdminUrl: privatePostgres?.adminUrl,
    redisUrl: redis.url,
    kafka,
    brokers: settings.brokers,
    partitions: settings.partitions,
    env: {
      LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? 'warn',
      DISPATCH_CONCURRENCY: String(settings.concurrency),
    },
    webhooks: () =>
      accountIds.flatMap((accountId) =>
        BENCH_EVENT_NAMES.map((name) => ({
          accountId,
          name: `bench ${name}`,
          targetUrl: receiver.urlFor(`/hooks/${accountId}/${name}`),
          events: [name],
        })),
      ),
  }).catch(async (error: unknown) => {
    await redis.stop();
    await privatePostgres?.remove();
    throw error;
  });
  const producer = await connectBenchProducer(kafka);
  const context: BenchContext = { settings, receiver, stack, kafka, producer, plan, results };
  const machine = await machineInfo(settings, stack.database.url, stack.env.REDIS_URL);
  console.log(
    `  machine: ${String(machine.cpus)} × ${String(machine.cpuModel)}, ${String(machine.memoryGb)} GB, node ${process.version}, kafka ${String(machine.kafka)}, postgres ${String(machine.postgres)}, redis ${String(machine.redis)}`,
  );
  if (!REALTIME_EVENT_NAMES.includes(BENCH_EVENT_NAMES[0])) throw new Error('bench events must be real-time');
  await receiver.configure(
    Object.fromEntries(
      stack.webhooks.map((webhook) => [new URL(webhook.targetUrl).pathname, webhook.secret]),
    ),
    settings.verifyEvery,
  );

  const scenarios: [ScenarioName | 'start stack', (context: BenchContext) => Promise<void>][] = [
    ['ceiling', scenarioCeiling],
    [
      'start stack',
      async () => {
        progress.update(`[stack] starting event-ingestion and ${settings.dispatchers} dispatcher(s)…`, true);
        await stack.startIngestion();
        await stack.startDispatchers(settings.dispatchers);
        await warmUp(context, 'warm');
      },
    ],
    ['throughput', scenarioThroughput],
    ['latency', scenarioLatency],
    ['scale', scenarioScale],
    ['ingestion', scenarioIngestionAlone],
  ];
  try {
    const wanted = new Set<string>(settings.scenarios);
    if (settings.scenarios.some((name) => name !== 'ceiling')) wanted.add('start stack');
    for (const [name, scenario] of scenarios) {
      if (!wanted.has(name)) continue;
      try {
        await scenario(context);
      } catch (error) {
        const message = `${name} failed: ${(error as Error).message}`;
        results.errors.push(message);
        progress.done(message);
        if (name === 'start stack') break;
      }
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await stack.close().catch((error: Error) => results.errors.push(`cleanup: ${error.message}`));
    await privatePostgres?.remove().catch((error: Error) => results.errors.push(`cleanup: ${error.message}`));
    await redis.stop();
    await receiver.stop();
  }

  const table = formatTable(results);
  console.log(`\n${table}\n`);
  const finishedAt = new Date();
  const outputDir = path.join(ROOT, 'bench/results');
  mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, 'latest.json');
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        date: startedAt.toISOString(),
        durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
        command: `${settings.quick ? 'BENCH_QUICK=1 ' : ''}npm run bench`,
        machine,
        config: {
          ...settings,
          apps: {
            DISPATCH_CONCURRENCY: settings.concurrency,
            KAFKA_EVENTS_PARTITIONS: settings.partitions,
            LOG_LEVEL: stack.env.LOG_LEVEL,
          },
        },
        results,
        table,
      },
      null,
      2,
    )}\n`,
  );
  console.log(
    `results: ${path.relative(process.cwd(), file)} (${Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000)} s in all)`,
  );
  const voidRuns =
    [results.throughput, results.latency, ...results.scale].filter((run) => run && !run.balance.valid)
      .length + (results.ingestion && !results.ingestion.valid ? 1 : 0);
  if (results.errors.length > 0 || voidRuns > 0) {
    console.error(`${results.errors.length} scenario error(s), ${voidRuns} void run(s)`);
    process.exitCode = 1;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
