/**
 * The manifests against the real apps: the migration Job's command migrates a fresh database; each
 * app, started from dist/ with the environment its Deployment gives it (production, MIGRATE_ON_BOOT
 * false; only addresses and the Secret's values are the test's), answers 200 on every probe path and
 * on the PodMonitor's /metrics path; its real scrape is the metric catalogue the rule checks use; every
 * series a rule or the dashboard selects by `app` is really set by that app; and SIGTERM ends each app
 * with exit 0 well inside its pod's terminationGracePeriodSeconds.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import {
  AppName,
  AppProcess,
  connectLmsProducer,
  createTestDatabase,
  deleteTestTopics,
  seedSignatureWebhooks,
  startAppProcess,
  stopAppProcess,
  TestDatabase,
  uniqueKafkaNames,
  waitFor,
} from '@lms/testing';
import {
  containerEnvironment,
  DEPLOY_DIR,
  find,
  podSpec,
  renderOverlay,
  REPOSITORY_ROOT,
  testSecrets,
} from './support/deploy-manifests';
import { exportedMetricCatalogue } from './support/metric-catalogue';
import { checkPromql, expandGrafanaVariables, SelectorUse } from './support/promql-check';
import { scrapeTargetLabels } from './support/scrape-labels';

const APPS: AppName[] = ['admin-api', 'event-ingestion', 'dispatcher'];
const DEAD_ACCOUNT = 4242;
const production = renderOverlay('overlays/production');
const migrate = renderOverlay('overlays/production/migrate');
const deployment = (app: AppName) => find(production, 'Deployment', `lms-webhooks-${app}`);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, as much as the checks need: TYPE lines and sample names with labels. */
function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1], type[2]);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const [, name, value] of (sample[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[name] = value;
    samples.push({ name: sample[1], labels, value: Number(sample[3]) });
  }
  return { types, samples };
}

function matches(sample: Sample, metric: string, own: SelectorUse['matchers']): boolean {
  return sample.name === metric && own.every((matcher) => sample.labels[matcher.label] === matcher.value);
}

/** A valid LMS event, as an LMS would produce it (key = accountId). */
function courseEnrollment(accountId: number) {
  return {
    accountId,
    eventId: randomUUID(),
    eventName: 'COURSE_ENROLLMENT',
    timestamp: 1727414643000,
    eventInfo: '1727414643000-047210-84242-0',
    data: {
      userId: 4279332,
      loId: 'course:7374992',
      loInstanceId: 'course:7376092_10250977',
      loType: 'course',
      enrollmentSource: 'SELF_ENROLL',
      dateEnrolled: 1727414643,
    },
  };
}

describe('deploy/ against the real apps', () => {
  const kafka = uniqueKafkaNames('deploy');
  let database: TestDatabase;
  const apps = new Map<AppName, AppProcess>();
  let migrationOutput = '';

  // One set of Secret values for every app of the stack (the dispatcher must decrypt what is seeded).
  let secrets: ReturnType<typeof testSecrets>;
  const queuePrefix = `lmsw-test-deploy-${randomBytes(4).toString('hex')}`;

  /** The Deployment's environment; only where things are (brokers, topic, group, queue prefix) is the test's. */
  function manifestEnvironment(app: AppName): Record<string, string> {
    return {
      ...containerEnvironment(production, podSpec(deployment(app)).containers[0], secrets),
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092',
      KAFKA_EVENTS_TOPIC: kafka.topic,
      KAFKA_CONSUMER_GROUP: kafka.group,
      KAFKA_EVENTS_PARTITIONS: '2',
      QUEUE_PREFIX: queuePrefix,
      LOG_LEVEL: 'warn',
      // A delivery whose first attempt fails is DEAD at once, so the test sees outcome="dead".
      ...(app === 'dispatcher' ? { RETRY_MAX_AGE: '1' } : {}),
    };
  }

  const scrape = async (app: AppName) => {
    const response = await fetch(`http://127.0.0.1:${apps.get(app)!.port}/metrics`);
    return parseExposition(await response.text());
  };

  beforeAll(async () => {
    database = await createTestDatabase('deploy');
    secrets = testSecrets({
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    });
    const [job] = podSpec(find(migrate, 'Job', 'lms-webhooks-migrate')).containers;
    const [command, ...args] = job.command!;
    const run = spawnSync(command === 'node' ? process.execPath : command, args, {
      cwd: REPOSITORY_ROOT,
      env: { PATH: process.env.PATH, ...containerEnvironment(migrate, job, secrets) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    migrationOutput = `${run.stdout}${run.stderr}`;
    if (run.status !== 0) throw new Error(`migration Job command failed (${run.status}): ${migrationOutput}`);
    // A webhook the production config refuses to deliver to (plain http, loopback): its delivery fails
    // without any connection being made, and goes DEAD.
    await seedSignatureWebhooks(
      database.url,
      Buffer.from(secrets('lms-webhooks-secrets', 'SECRETS_ENCRYPTION_KEY'), 'base64'),
      [
        {
          accountId: DEAD_ACCOUNT,
          name: 'deploy-dead',
          targetUrl: 'http://127.0.0.1:9/',
          events: ['COURSE_ENROLLMENT'],
        },
      ],
    );
    for (const app of APPS) apps.set(app, await startAppProcess(app, manifestEnvironment(app)));
  }, 180_000);

  afterAll(async () => {
    await Promise.all([...apps.values()].map((app) => stopAppProcess(app, 'SIGKILL')));
    await deleteTestTopics([kafka.topic, kafka.dlqTopic]).catch(() => undefined);
    await database?.drop();
  });

  it('the migration Job’s command migrates a fresh database; the apps run on it with MIGRATE_ON_BOOT=false', async () => {
    expect(migrationOutput).toMatch(/^applied: /m);
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ count: number }>(
        'SELECT count(*)::int AS count FROM schema_migrations',
      );
      expect(rows[0].count).toBeGreaterThan(0);
    } finally {
      await client.end();
    }
    for (const app of APPS) expect(manifestEnvironment(app).MIGRATE_ON_BOOT).toBe('false');
  });

  it.each(APPS)(
    '%s answers 200 on every probe path of its Deployment and on the PodMonitor’s path',
    async (app) => {
      const container = podSpec(deployment(app)).containers[0];
      const monitor = find(production, 'PodMonitor', 'lms-webhooks').spec as {
        podMetricsEndpoints: Array<{ port: string; path: string }>;
      };
      const paths = [
        container.startupProbe!.httpGet!.path,
        container.livenessProbe!.httpGet!.path,
        container.readinessProbe!.httpGet!.path,
        ...monitor.podMetricsEndpoints
          .filter((endpoint) => endpoint.port === 'http')
          .map((endpoint) => endpoint.path),
      ];
      expect(paths).toEqual(['/health/live', '/health/live', '/health/ready', '/metrics']);
      for (const probePath of paths) {
        const response = await fetch(`http://127.0.0.1:${apps.get(app)!.port}${probePath}`);
        expect({ app, probePath, status: response.status }).toEqual({ app, probePath, status: 200 });
      }
    },
  );

  it.each(APPS)('%s exports exactly the metrics the rule checks use as their catalogue', async (app) => {
    const { types } = await scrape(app);
    const catalogue = exportedMetricCatalogue();
    const expanded = new Set(
      [...types].flatMap(([name, type]) =>
        type === 'histogram' || type === 'summary'
          ? [...(type === 'histogram' ? [`${name}_bucket`] : [name]), `${name}_sum`, `${name}_count`]
          : [name],
      ),
    );
    expect([...expanded].sort()).toEqual([...catalogue.keys()].sort());
  });

  it('every series an alert, the dashboard or the autoscaler selects by app is set by that app, and every label value it matches is one the apps write', async () => {
    // A malformed record gives the consumer a batch to measure lag on (and the dead-letter topic one record).
    const producer = await connectLmsProducer();
    try {
      await producer.send({
        topic: kafka.topic,
        messages: [
          { key: '1', value: 'not json' },
          { key: String(DEAD_ACCOUNT), value: JSON.stringify(courseEnrollment(DEAD_ACCOUNT)) },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const rules = (
      find(production, 'PrometheusRule', 'lms-webhooks').spec as {
        groups: Array<{ rules: Array<{ expr: string }> }>;
      }
    ).groups.flatMap((group) => group.rules.map((rule) => rule.expr));
    const dashboard = JSON.parse(
      readFileSync(path.join(DEPLOY_DIR, 'monitoring/grafana-dashboard.json'), 'utf8'),
    ) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const scaler = find(production, 'ScaledObject', 'lms-webhooks-dispatcher').spec as {
      triggers: Array<{ type: string; metadata: { query?: string } }>;
    };
    const expressions = [
      ...rules,
      ...dashboard.panels.flatMap((panel) =>
        (panel.targets ?? []).map((target) => expandGrafanaVariables(target.expr)),
      ),
      ...scaler.triggers.flatMap((trigger) => (trigger.metadata.query ? [trigger.metadata.query] : [])),
    ];
    const catalogue = exportedMetricCatalogue();
    const targetLabels = scrapeTargetLabels(production);
    // Each distinct selector once, with the matchers a scrape can show: the metric's own labels with
    // a fixed value (not the scrape's labels such as namespace, nor a dashboard variable).
    const selections = new Map<
      string,
      { app?: AppName; selector: SelectorUse; own: SelectorUse['matchers'] }
    >();
    for (const expr of expressions) {
      for (const selector of checkPromql(expr, catalogue, targetLabels).selectors) {
        const app = selector.matchers.find((matcher) => matcher.label === 'app')?.value as
          AppName | undefined;
        const own = selector.matchers.filter(
          (matcher) =>
            matcher.op === '=' && !targetLabels.has(matcher.label) && !matcher.value.startsWith('$'),
        );
        selections.set(JSON.stringify(selector), { app, selector, own });
      }
    }
    const byApp = [...selections.values()].filter((selection) => selection.app !== undefined);
    expect(byApp.length).toBeGreaterThan(5);

    // The consumer joins, the dispatcher samples its gauges every 5 s, the seeded webhook's delivery
    // goes DEAD: wait for each series to appear in the app the selector names, or in any app.
    for (const { app, selector, own } of [...selections.values()]) {
      if (app === undefined && own.length === 0) continue;
      const candidates = app ? [app] : APPS;
      await waitFor(
        `${candidates.join(' or ')} to export ${selector.metric}${JSON.stringify(own)}`,
        async () => {
          for (const candidate of candidates) {
            const { samples } = await scrape(candidate);
            if (samples.some((sample) => matches(sample, selector.metric, own))) return true;
          }
          return false;
        },
        30_000,
        500,
      );
    }

    // Why the rules select lmsw_consumer_running by app: it is 1 where the consumer runs, and an
    // unset 0 in the apps that have no consumer.
    const consumerRunning = async (app: AppName) =>
      (await scrape(app)).samples.find((sample) => sample.name === 'lmsw_consumer_running')?.value;
    expect(await consumerRunning('event-ingestion')).toBe(1);
    expect(await consumerRunning('admin-api')).toBe(0);
    expect(await consumerRunning('dispatcher')).toBe(0);
  });

  it.each(APPS)('%s exits 0 on SIGTERM well inside its terminationGracePeriodSeconds', async (app) => {
    const graceMs = podSpec(deployment(app)).terminationGracePeriodSeconds! * 1000;
    const startedAt = Date.now();
    const exitCode = await stopAppProcess(apps.get(app)!, 'SIGTERM', graceMs);
    expect({ app, exitCode }).toEqual({ app, exitCode: 0 });
    expect(Date.now() - startedAt).toBeLessThan(graceMs);
  });
});
