// `npm run soak`: the whole stack (ingestion + dispatcher as real processes) for 30 minutes at half the
// measured capacity, on a Postgres of its own configured as production (autovacuum on), with 20
// accounts whose listeners are healthy, slow, flaky or failing. Every minute: healthy latency,
// deliveries, RSS, table sizes and dead tuples; at the end: nothing lost, order kept, latency stable.
//   SOAK_MINUTES=3 npm run soak       a short run
//   SOAK_RATE=1000 npm run soak       another rate (default: half of bench/results/latest.json)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventName } from '@lms/payload-schemas';
import {
  connectBenchProducer,
  createBenchKafka,
  IsolatedStack,
  PrivatePostgres,
  produceBurst,
  producePaced,
  repositoryRoot,
  waitFor,
  type LoadPlan,
} from '@lms/testing';
import type { Producer } from 'kafkajs';
import { readRssKb } from '../stack/process-sampler';
import { LatencyHistogram } from './latency-histogram';
import { deadTuplesPerThousandEvents, latencyWindows, soakChecks, type SoakOutcome } from './soak-checks';
import { buildSoakPlan, expectedByKind, MUST_DELIVER, SOAK_ACCOUNT_MIX, type SoakPlan } from './soak-plan';
import { SoakReceiver } from './soak-receiver';
import { formatChecks, formatMinutes, SOAK_TABLES, type MinuteSample, type TableSample } from './soak-report';
import { readSoakSettings, type SoakSettings } from './soak-settings';

const ROOT = repositoryRoot();
const EVENT_NAMES: EventName[] = ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'];
const FIRST_ACCOUNT_ID = 9501;
const RUN = 'soak';
const WARM_UP_RUN = 'warm';
const WARM_UP_EVENTS = 620;
/** After the load: how long the backlog (slow and flaky lanes) may take, and how long without progress. */
const DRAIN_LIMIT_MS = 15 * 60_000;
const DRAIN_STALL_MS = 3 * 60_000;

interface Soak {
  settings: SoakSettings;
  postgres: PrivatePostgres;
  receiver: SoakReceiver;
  stack: IsolatedStack;
  producer: Producer;
  plan: SoakPlan;
}

function prepareServices(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/check-services.js')], { stdio: 'inherit' });
  execFileSync('bash', [path.join(ROOT, 'scripts/kafka.sh'), 'start'], { stdio: 'inherit' });
  for (const app of ['event-ingestion', 'dispatcher']) {
    const main = path.join(ROOT, 'dist/apps', app, 'src/main.js');
    if (!existsSync(main))
      throw new Error(`${main} is missing: run \`npm run build\` first (npm run soak does)`);
  }
}

async function tableSamples(stack: IsolatedStack): Promise<Record<string, TableSample>> {
  const rows = await stack.query<{
    relname: string;
    bytes: string;
    n_live_tup: string;
    n_dead_tup: string;
    autovacuum_count: string;
    autoanalyze_count: string;
  }>(
    // A partitioned table (deliveries, delivery_attempts) counts as the sum of its partitions.
    `SELECT t.relname, sum(pg_total_relation_size(s.relid)) AS bytes, sum(s.n_live_tup) AS n_live_tup,
            sum(s.n_dead_tup) AS n_dead_tup, sum(s.autovacuum_count) AS autovacuum_count,
            sum(s.autoanalyze_count) AS autoanalyze_count
       FROM unnest($1::text[]) AS t(relname)
       JOIN pg_stat_user_tables s
         ON s.relid = to_regclass(t.relname)
           OR s.relid IN (SELECT relid FROM pg_partition_tree(to_regclass(t.relname)) WHERE isleaf)
      GROUP BY t.relname`,
    [SOAK_TABLES],
  );
  return Object.fromEntries(
    rows.map((row) => [
      row.relname,
      {
        bytes: Number(row.bytes),
        liveTuples: Number(row.n_live_tup),
        deadTuples: Number(row.n_dead_tup),
        autovacuums: Number(row.autovacuum_count),
        autoanalyzes: Number(row.autoanalyze_count),
      },
    ]),
  );
}

function rssMb(soak: Soak): { ingestion: number; dispatcher: number } {
  const sum = (apps: { child: { pid?: number } }[]) =>
    apps.reduce((total, app) => total + readRssKb(app.child.pid ?? 0), 0) / 1024;
  return { ingestion: sum(soak.stack.ingestion), dispatcher: sum(soak.stack.dispatchers) };
}

async function warmUp(soak: Soak): Promise<void> {
  const { producer, stack, plan, receiver } = soak;
  await produceBurst(
    producer,
    stack.topic,
    { accountIds: plan.rotation, eventNames: EVENT_NAMES },
    WARM_UP_RUN,
    WARM_UP_EVENTS,
  );
  const healthy = expectedByKind(plan, WARM_UP_EVENTS).healthy;
  await waitFor(
    `${healthy} warm-up events at the healthy listeners`,
    async () => (await receiver.totals(0)).warmUpDelivered >= healthy,
    120_000,
    500,
  );
  console.log(`  [warm-up] ${WARM_UP_EVENTS} events produced, the healthy accounts' ${healthy} delivered`);
}

async function runLoad(soak: Soak, events: number): Promise<{ minutes: MinuteSample[]; produced: number }> {
  const { settings, producer, stack, plan, receiver } = soak;
  const loadPlan: LoadPlan = { accountIds: plan.rotation, eventNames: EVENT_NAMES };
  let produced = 0;
  let peak = { ingestion: 0, dispatcher: 0 };
  const peakTimer = setInterval(() => {
    const now = rssMb(soak);
    peak = {
      ingestion: Math.max(peak.ingestion, now.ingestion),
      dispatcher: Math.max(peak.dispatcher, now.dispatcher),
    };
  }, 2000);
  await receiver.closeWindow();
  const startedAt = Date.now();
  const producing = producePaced(
    producer,
    stack.topic,
    loadPlan,
    RUN,
    events,
    settings.rate,
    (count) => (produced = count),
  );
  const minutes: MinuteSample[] = [];
  try {
    for (let minute = 1; minute <= settings.minutes; minute += 1) {
      await sleep(startedAt + minute * 60_000 - Date.now());
      const window = await receiver.closeWindow();
      const histogram = LatencyHistogram.fromSparse(window.healthyLatency);
      const sample: MinuteSample = {
        minute,
        at: new Date().toISOString(),
        produced,
        delivered: window.delivered,
        healthy: { count: histogram.count, p50: histogram.percentile(50), p99: histogram.percentile(99) },
        healthyLatency: window.healthyLatency,
        rssMb: rssMb(soak),
        peakRssMb: peak,
        tables: await tableSamples(stack).catch(() => ({})),
        loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
      };
      peak = { ingestion: 0, dispatcher: 0 };
      minutes.push(sample);
      const delivered = Object.values(sample.delivered).reduce((sum, value) => sum + value, 0);
      const lanes = sample.tables.lane_items;
      console.log(
        `  [${minute}/${settings.minutes} min] produced ${sample.produced}, delivered ${delivered} this minute; healthy p50/p99 ${sample.healthy.p50 ?? '-'}/${sample.healthy.p99 ?? '-'} ms; ` +
          `RSS ingestion ${Math.round(sample.rssMb.ingestion)} MB, dispatcher ${Math.round(sample.rssMb.dispatcher)} MB; ` +
          `lane_items ${lanes ? `${lanes.liveTuples} live, ${lanes.deadTuples} dead` : '-'}; load ${sample.loadAverage.join(' ')}`,
      );
    }
  } finally {
    clearInterval(peakTimer);
  }
  const production = await producing;
  if (production.maxProducerLagMs > 1000)
    console.log(`  the producer fell up to ${production.maxProducerLagMs} ms behind its schedule`);
  return { minutes, produced: production.count };
}

async function drain(soak: Soak, produced: number): Promise<void> {
  const startedAt = Date.now();
  let lastMissing = Number.POSITIVE_INFINITY;
  let lastProgressAt = startedAt;
  for (;;) {
    const totals = await soak.receiver.totals(produced);
    const missing = MUST_DELIVER.reduce((sum, kind) => sum + totals.missing[kind], 0);
    if (missing === 0) {
      console.log(
        `  [drain] every event of the healthy, slow and flaky accounts delivered after ${Math.round((Date.now() - startedAt) / 1000)} s`,
      );
      return;
    }
    if (missing < lastMissing) {
      lastMissing = missing;
      lastProgressAt = Date.now();
    }
    if (Date.now() - lastProgressAt > DRAIN_STALL_MS || Date.now() - startedAt > DRAIN_LIMIT_MS) {
      console.log(`  [drain] gave up with ${missing} events missing (${JSON.stringify(totals.missing)})`);
      return;
    }
    console.log(
      `  [drain] ${missing} events of healthy/slow/flaky accounts still to arrive (${JSON.stringify(totals.missing)})`,
    );
    await sleep(10_000);
  }
}

async function main(): Promise<void> {
  const settings = readSoakSettings(path.join(ROOT, 'bench/results/latest.json'));
  const startedAt = new Date();
  const loadAtStart = os.loadavg();
  const events = Math.round(settings.rate * settings.minutes * 60);
  console.log(
    `lms-webhooks soak: ${startedAt.toISOString()}, ${settings.minutes} min at ${settings.rate} events/s (${settings.rateSource}) = ${events} events; load average ${loadAtStart.map((value) => value.toFixed(2)).join(' ')}`,
  );
  prepareServices();
  const plan = buildSoakPlan(SOAK_ACCOUNT_MIX, FIRST_ACCOUNT_ID);
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((error: Error) => console.error(`cleanup: ${error.message}`));
  };
  process.once('SIGINT', () => {
    console.log('\ninterrupted: stopping the stack and removing the private Postgres');
    void cleanUp().finally(() => process.exit(130));
  });
  try {
    const postgres = await PrivatePostgres.start();
    cleanups.push(() => postgres.remove());
    const receiver = await SoakReceiver.start();
    cleanups.push(() => receiver.stop());
    await receiver.configure(plan, RUN, WARM_UP_RUN, events);
    const kafka = createBenchKafka(settings.brokers, 'lmsw-soak');
    const kindOf = new Map(plan.accounts.map((account) => [account.accountId, account.kind]));
    const stack = await IsolatedStack.create({
      label: 'soak',
      kafka,
      brokers: settings.brokers,
      partitions: settings.partitions,
      databaseAdminUrl: postgres.adminUrl,
      env: {
        LOG_LEVEL: process.env.BENCH_APP_LOG_LEVEL ?? 'warn',
        DISPATCH_CONCURRENCY: String(settings.concurrency),
      },
      webhooks: () =>
        plan.accounts.map(({ accountId }) => ({
          accountId,
          name: `soak ${kindOf.get(accountId)}`,
          targetUrl: receiver.urlFor(accountId),
          events: EVENT_NAMES,
        })),
    });
    cleanups.push(() => stack.close());
    const producer = await connectBenchProducer(kafka);
    cleanups.push(() => producer.disconnect());
    const soak: Soak = { settings, postgres, receiver, stack, producer, plan };
    console.log(
      `  [stack] starting event-ingestion and ${settings.dispatchers} dispatcher(s) on a private Postgres (port ${postgres.port}, autovacuum on)…`,
    );
    await stack.startIngestion();
    await stack.startDispatchers(settings.dispatchers);
    await warmUp(soak);

    const { minutes, produced } = await runLoad(soak, events);
    await drain(soak, produced);
    const totals = await receiver.totals(produced);
    const finalTables = await tableSamples(stack);
    const deadTuples = Object.fromEntries(
      SOAK_TABLES.map((table) => [table, finalTables[table]?.deadTuples ?? 0]),
    );
    const outcome: SoakOutcome = {
      healthyLatencyByMinute: minutes.map((minute) => minute.healthyLatency),
      produced,
      expectedByKind: expectedByKind(plan, produced),
      missingByKind: totals.missing,
      orderViolations: totals.orderViolations,
      deadTuples,
    };
    const checks = soakChecks(outcome);
    const peakDead = Math.max(
      0,
      ...minutes.map((minute) =>
        SOAK_TABLES.reduce((sum, table) => sum + (minute.tables[table]?.deadTuples ?? 0), 0),
      ),
    );
    const table = formatMinutes(minutes);
    const loadAtEnd = os.loadavg();
    console.log(`\n${table}\n`);
    console.log(
      `tables at the end: ${SOAK_TABLES.map((name) => {
        const stats = finalTables[name];
        return stats
          ? `${name} ${(stats.bytes / 1024 / 1024).toFixed(1)} MB, ${stats.liveTuples} live, ${stats.deadTuples} dead, ${stats.autovacuums} autovacuum(s)`
          : `${name} -`;
      }).join('; ')}`,
    );
    console.log(
      `requests by kind ${JSON.stringify(totals.requests)}; answers ${JSON.stringify(totals.statuses)}; ${totals.duplicates} duplicate event(s); ` +
        `peak dead tuples (all six tables, minute samples) ${peakDead} = ${deadTuplesPerThousandEvents({ all: peakDead }, produced)} per 1,000 events`,
    );
    if (totals.orderViolationSample.length > 0)
      console.log(`out of order: ${totals.orderViolationSample.join('; ')}`);
    if (totals.missingSample.length > 0) console.log(`missing: ${totals.missingSample.join(', ')}`);
    console.log(`\n${formatChecks(checks)}\n`);
    console.log(
      `load average: ${loadAtStart.map((value) => value.toFixed(2)).join(' ')} at the start, ${loadAtEnd.map((value) => value.toFixed(2)).join(' ')} at the end`,
    );

    const finishedAt = new Date();
    const file = path.join(ROOT, 'bench/results/soak-latest.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          date: startedAt.toISOString(),
          durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
          command: `${process.env.SOAK_MINUTES ? `SOAK_MINUTES=${process.env.SOAK_MINUTES} ` : ''}${process.env.SOAK_RATE ? `SOAK_RATE=${process.env.SOAK_RATE} ` : ''}npm run soak`,
          machine: {
            cpus: os.cpus().length,
            cpuModel: os.cpus()[0]?.model ?? 'unknown',
            node: process.version,
            loadAverageAtStart: loadAtStart,
            loadAverageAtEnd: loadAtEnd,
          },
          settings,
          accounts: plan.accounts,
          events: produced,
          postgres: { autovacuum: 'on (stock thresholds)', sharedBuffers: '32MB', private: true },
          checks,
          latencyWindows: latencyWindows(outcome.healthyLatencyByMinute),
          totals,
          deadTuplesPer1000Events: {
            end: deadTuplesPerThousandEvents(deadTuples, produced),
            peak: deadTuplesPerThousandEvents({ all: peakDead }, produced),
          },
          finalTables,
          minutes: minutes.map(({ healthyLatency: _histogram, ...minute }) => minute),
          table,
        },
        null,
        2,
      )}\n`,
    );
    console.log(
      `results: ${path.relative(process.cwd(), file)} (${Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000)} s in all)`,
    );
    if (checks.some((check) => check.pass === false)) process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
