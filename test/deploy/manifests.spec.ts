/**
 * deploy/ as CI sees it: every kustomization an operator applies is rendered and validated against
 * the Kubernetes schemas (and KEDA's and prometheus-operator's for their kinds), and the rendered
 * objects are held to what the README promises: secrets only from the Secret, config the apps accept,
 * probes on the apps' port, migrations by the Job, PodDisruptionBudgets, shutdown grace, sizing from
 * the benchmark, autoscaling on a metric the dispatcher exports.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  loadAdminApiConfig,
  loadDispatcherConfig,
  loadIngestionConfig,
  type CommonConfig,
} from '@lms/config';
import { variablesReadBy } from '@lms/testing';
import { KubernetesObject } from './support/kustomize-renderer';
import {
  Container,
  containerEnvironment,
  find,
  OVERLAYS,
  podSpec,
  probePort,
  renderOverlay,
  REPOSITORY_ROOT,
  testSecrets,
  validateAgainstSchemas,
} from './support/deploy-manifests';
import { exportedMetricCatalogue } from './support/metric-catalogue';
import { checkPromql } from './support/promql-check';
import { scrapeTargetLabels } from './support/scrape-labels';
import { unknownFieldFinder } from './support/unknown-fields';

interface AppManifest {
  app: 'admin-api' | 'event-ingestion' | 'dispatcher';
  deployment: string;
  load: (env: Record<string, string | undefined>) => CommonConfig;
}

const APPS: AppManifest[] = [
  { app: 'admin-api', deployment: 'lms-webhooks-admin-api', load: loadAdminApiConfig },
  { app: 'event-ingestion', deployment: 'lms-webhooks-event-ingestion', load: loadIngestionConfig },
  { app: 'dispatcher', deployment: 'lms-webhooks-dispatcher', load: loadDispatcherConfig },
];

/** Variables that hold credentials: they may only come from the Secret, never from a value. */
const SECRET_VARIABLES = [
  'DATABASE_URL',
  'REDIS_URL',
  'SECRETS_ENCRYPTION_KEY',
  'ADMIN_JWT_SECRET',
  'ADMIN_JWT_PUBLIC_KEY',
];

/** The rate each replica's requests are sized for (the benchmark's latency run: 998 events/s). */
const DESIGN_EVENTS_PER_SECOND = 1000;

describe('deploy/: rendered Kubernetes manifests', () => {
  const production = renderOverlay('overlays/production');
  const migrate = renderOverlay('overlays/production/migrate');
  const workloads = [...production, ...migrate].filter((object) =>
    ['Deployment', 'Job'].includes(object.kind),
  );
  const containers = (object: KubernetesObject): Container[] => podSpec(object).containers;

  it('renders every overlay into objects that validate against the Kubernetes, KEDA and prometheus-operator schemas', () => {
    for (const overlay of OVERLAYS) {
      const objects = renderOverlay(overlay);
      const reports = validateAgainstSchemas(objects);
      expect(reports.filter((report) => report.errors.length > 0)).toEqual([]);
      expect(reports).toHaveLength(objects.length);
    }
    expect(new Set(production.map((object) => object.kind))).toEqual(
      new Set([
        'ConfigMap',
        'Deployment',
        'Service',
        'PodDisruptionBudget',
        'ScaledObject',
        'PodMonitor',
        'PrometheusRule',
      ]),
    );
    expect(migrate.map((object) => object.kind)).toEqual(['Job']);
  });

  it('uses no field the schemas do not define (kubectl apply validates fields strictly)', () => {
    const all = OVERLAYS.flatMap((overlay) => renderOverlay(overlay));
    const unknownFields = unknownFieldFinder(all);
    expect(all.flatMap((object) => unknownFields(object))).toEqual([]);

    // The finder sees a misspelt field at any depth, in core kinds and in the CRDs' alike.
    const deployment = structuredClone(find(production, 'Deployment', 'lms-webhooks-dispatcher'));
    const pod = podSpec(deployment) as unknown as Record<string, unknown> & {
      containers: Array<Record<string, unknown>>;
    };
    pod.containers[0].readinesProbe = pod.containers[0].readinessProbe;
    pod.terminationGracePeriod = 30;
    deployment.metadata.labels = { ...deployment.metadata.labels, 'any-label': 'is fine' };
    const scaledObject = structuredClone(find(production, 'ScaledObject', 'lms-webhooks-dispatcher'));
    (scaledObject.spec as { triggers: Array<Record<string, unknown>> }).triggers[0].metdata = {};
    expect([...unknownFields(deployment), ...unknownFields(scaledObject)]).toEqual([
      {
        object: 'Deployment lms-webhooks-dispatcher',
        path: '.spec.template.spec.containers[0].readinesProbe',
      },
      { object: 'Deployment lms-webhooks-dispatcher', path: '.spec.template.spec.terminationGracePeriod' },
      { object: 'ScaledObject lms-webhooks-dispatcher', path: '.spec.triggers[0].metdata' },
    ]);
  });

  it('has a schema check that refuses what the API server would refuse, and kinds it has no schema for', () => {
    const deployment = structuredClone(find(production, 'Deployment', 'lms-webhooks-admin-api'));
    (deployment.spec as { replicas: unknown }).replicas = 'two';
    const scaledObject = structuredClone(find(production, 'ScaledObject', 'lms-webhooks-dispatcher'));
    delete (scaledObject.spec as { triggers?: unknown }).triggers;
    const rule = structuredClone(find(production, 'PrometheusRule', 'lms-webhooks'));
    delete (rule.spec as { groups: Array<{ rules: Array<{ expr?: string }> }> }).groups[0].rules[0].expr;
    const unknown = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };

    const [badDeployment, badScaledObject, badRule, unknownKind] = validateAgainstSchemas([
      deployment,
      scaledObject,
      rule,
      unknown,
    ]);
    expect(badDeployment.errors.join()).toContain('data/spec/replicas must be integer');
    expect(badScaledObject.errors.join()).toContain('data/spec must have required property triggers');
    expect(badRule.errors.join()).toContain('data/spec/groups/0/rules/0 must have required property expr');
    expect(unknownKind.errors).toEqual(['no schema for example.com/v1 Widget']);
  });

  it('takes every credential from the Secret lms-webhooks-secrets, with no value, default or Secret object in the repository', () => {
    expect([...production, ...migrate].filter((object) => object.kind === 'Secret')).toEqual([]);
    for (const configMap of production.filter((object) => object.kind === 'ConfigMap')) {
      const keys = Object.keys((configMap as unknown as { data: Record<string, string> }).data);
      expect(keys.filter((key) => SECRET_VARIABLES.includes(key))).toEqual([]);
    }
    for (const workload of workloads) {
      for (const container of containers(workload)) {
        expect(container.envFrom?.filter((source) => source.secretRef) ?? []).toEqual([]);
        for (const variable of container.env ?? []) {
          if (!SECRET_VARIABLES.includes(variable.name)) continue;
          expect({ container: container.name, variable }).toEqual({
            container: container.name,
            variable: {
              name: variable.name,
              valueFrom: { secretKeyRef: { name: 'lms-webhooks-secrets', key: variable.name } },
            },
          });
        }
      }
    }
    // Each app gets the credentials its config needs (a missing key keeps the pod from starting).
    const secretNames = (deployment: string) =>
      containers(find(production, 'Deployment', deployment))[0]
        .env!.filter((variable) => variable.valueFrom?.secretKeyRef)
        .map((variable) => variable.name)
        .sort();
    expect(secretNames('lms-webhooks-admin-api')).toEqual([
      'ADMIN_JWT_SECRET',
      'DATABASE_URL',
      'REDIS_URL',
      'SECRETS_ENCRYPTION_KEY',
    ]);
    // Ingestion uses no Redis: it is not handed REDIS_URL.
    expect(secretNames('lms-webhooks-event-ingestion')).toEqual(['DATABASE_URL']);
    expect(secretNames('lms-webhooks-dispatcher')).toEqual([
      'DATABASE_URL',
      'REDIS_URL',
      'SECRETS_ENCRYPTION_KEY',
    ]);
    // ...and no credential its config never reads: a key an app holds for nothing is one more place to leak it.
    for (const { deployment, load } of APPS) {
      const read = variablesReadBy(load);
      expect({ deployment, unread: secretNames(deployment).filter((name) => !read.has(name)) }).toEqual({
        deployment,
        unread: [],
      });
    }
  });

  it.each(APPS)(
    '$app: its config loads from the manifest (production, migrations off) and it listens where its probes look',
    ({ deployment, load }) => {
      const container = containers(find(production, 'Deployment', deployment))[0];
      const config = load(containerEnvironment(production, container, testSecrets()));
      expect(config.env).toBe('production');
      expect(config.database.migrateOnBoot).toBe(false);
      expect(container.startupProbe?.httpGet?.path).toBe('/health/live');
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      for (const probe of [container.startupProbe!, container.livenessProbe!, container.readinessProbe!]) {
        expect(probePort(container, probe)).toBe(config.port);
      }
    },
  );

  it('refuses to boot an app whose manifest lacks a credential (the config names it)', () => {
    const container = containers(find(production, 'Deployment', 'lms-webhooks-dispatcher'))[0];
    const env = containerEnvironment(production, container, testSecrets());
    delete env.SECRETS_ENCRYPTION_KEY;
    expect(() => loadDispatcherConfig(env)).toThrow(/SECRETS_ENCRYPTION_KEY/);
  });

  it('gives each Deployment a PodDisruptionBudget over exactly its pods that lets one go at a time, and at least two replicas', () => {
    for (const { deployment } of APPS) {
      const workload = find(production, 'Deployment', deployment);
      const budget = find(production, 'PodDisruptionBudget', deployment);
      const podLabels = (workload.spec as { template: { metadata: { labels: Record<string, string> } } })
        .template.metadata.labels;
      const spec = budget.spec as {
        selector: { matchLabels: Record<string, string> };
        minAvailable?: number;
        maxUnavailable?: number;
      };
      expect(spec.selector.matchLabels).toEqual(
        (workload.spec as { selector: { matchLabels: unknown } }).selector.matchLabels,
      );
      for (const [label, value] of Object.entries(spec.selector.matchLabels))
        expect(podLabels[label]).toBe(value);
      const replicas =
        (workload.spec as { replicas?: number }).replicas ??
        (find(production, 'ScaledObject', deployment).spec as { minReplicaCount: number }).minReplicaCount;
      expect(replicas).toBeGreaterThanOrEqual(2);
      const disruptions = spec.maxUnavailable ?? replicas - (spec.minAvailable ?? replicas);
      expect(disruptions).toBe(1);
    }
  });

  it('gives every pod time to shut down gracefully: the dispatcher its SHUTDOWN_GRACE_MS, plus preStop and 10 s to close', () => {
    for (const { deployment, load } of APPS) {
      const spec = podSpec(find(production, 'Deployment', deployment));
      const container = spec.containers[0];
      const config = load(containerEnvironment(production, container, testSecrets()));
      const drainMs = 'shutdownGraceMs' in config ? (config.shutdownGraceMs as number) : 0;
      const preStopMs = Number(container.lifecycle?.preStop?.exec?.command[1] ?? 0) * 1000;
      expect(spec.terminationGracePeriodSeconds! * 1000).toBeGreaterThanOrEqual(drainMs + preStopMs + 10_000);
    }
    const dispatcher = containers(find(production, 'Deployment', 'lms-webhooks-dispatcher'))[0];
    const shutdownGraceMs = loadDispatcherConfig(
      containerEnvironment(production, dispatcher, testSecrets()),
    ).shutdownGraceMs;
    expect(shutdownGraceMs).toBe(15_000);
  });

  it('sizes CPU and memory requests from the benchmark (bench/results/latest.json)', () => {
    const bench = JSON.parse(
      readFileSync(path.join(REPOSITORY_ROOT, 'bench/results/latest.json'), 'utf8'),
    ) as {
      results: { latency: { eventsPerSecond: number; cpuMsPer1000Events: Record<string, number> } };
    };
    const peakRssMb = peakRss(bench);
    for (const app of ['event-ingestion', 'dispatcher'] as const) {
      const container = containers(find(production, 'Deployment', `lms-webhooks-${app}`))[0];
      const neededCores =
        (bench.results.latency.cpuMsPer1000Events[app] * DESIGN_EVENTS_PER_SECOND) / 1000 / 1000;
      const requestedCores = cpuCores(container.resources!.requests!.cpu!);
      expect({ app, atLeastNeeded: requestedCores >= neededCores }).toEqual({ app, atLeastNeeded: true });
      expect({ app, withinHalfAgain: requestedCores <= neededCores * 1.5 }).toEqual({
        app,
        withinHalfAgain: true,
      });
      expect(memoryMb(container.resources!.requests!.memory!)).toBeGreaterThanOrEqual(peakRssMb[app]);
    }
    expect(bench.results.latency.eventsPerSecond).toBeGreaterThan(DESIGN_EVENTS_PER_SECOND * 0.9);
    for (const workload of workloads) {
      for (const container of containers(workload)) {
        const { requests, limits } = container.resources ?? {};
        expect(requests?.cpu).toBeDefined();
        expect(memoryMb(limits!.memory!)).toBeGreaterThanOrEqual(memoryMb(requests!.memory!));
      }
    }
  });

  it('autoscales the dispatcher on a lane backlog metric the dispatcher exports, in its own namespace', () => {
    const scaledObject = find(production, 'ScaledObject', 'lms-webhooks-dispatcher');
    const spec = scaledObject.spec as {
      scaleTargetRef: { name: string };
      minReplicaCount: number;
      maxReplicaCount: number;
      triggers: Array<{ type: string; metadata: Record<string, string> }>;
    };
    expect(spec.scaleTargetRef.name).toBe('lms-webhooks-dispatcher');
    // No replicas in the Deployment: an apply would otherwise reset what the autoscaler chose.
    expect(
      (find(production, 'Deployment', 'lms-webhooks-dispatcher').spec as { replicas?: number }).replicas,
    ).toBeUndefined();
    const trigger = spec.triggers.find((candidate) => candidate.type === 'prometheus')!;
    const check = checkPromql(
      trigger.metadata.query,
      exportedMetricCatalogue(),
      scrapeTargetLabels(production),
    );
    expect(check.problems).toEqual([]);
    expect(check.selectors).toEqual([
      {
        metric: 'lmsw_queue_jobs',
        matchers: [
          { label: 'namespace', op: '=', value: scaledObject.metadata.namespace },
          { label: 'app', op: '=', value: 'dispatcher' },
          { label: 'state', op: '=', value: 'waiting' },
        ],
      },
    ]);
    expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
    expect(spec.maxReplicaCount).toBeGreaterThan(spec.minReplicaCount);
  });

  it('migrates with a Job that runs the migration runner from the apps’ image, once, with DATABASE_URL from the Secret', () => {
    const job = find(migrate, 'Job', 'lms-webhooks-migrate');
    const [container] = containers(job);
    const appImages = new Set(
      APPS.map(({ deployment }) => containers(find(production, 'Deployment', deployment))[0].image),
    );
    expect([...appImages]).toEqual(['registry.example.com/lms-webhooks:0.1.0']);
    expect(container.image).toBe('registry.example.com/lms-webhooks:0.1.0');
    expect(job.metadata.namespace).toBe(production[0].metadata.namespace);
    expect(container.command).toEqual(['node', 'dist/libs/webhook-domain/src/migrations/run-migrations.js']);
    expect(
      existsSync(path.join(REPOSITORY_ROOT, 'libs/webhook-domain/src/migrations/run-migrations.ts')),
    ).toBe(true);
    expect((job.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy).toBe(
      'Never',
    );
    expect(container.env).toEqual([
      {
        name: 'DATABASE_URL',
        valueFrom: { secretKeyRef: { name: 'lms-webhooks-secrets', key: 'DATABASE_URL' } },
      },
    ]);
  });
});

function cpuCores(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) / 1000 : Number(quantity);
}

function memoryMb(quantity: string): number {
  const units: Record<string, number> = { Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return (Number(match[1]) * units[match[2]]) / 1e6;
}

/** The highest peak RSS (MB) each process reached in any run of the benchmark. */
function peakRss(bench: unknown): Record<string, number> {
  const peaks: Record<string, number> = {};
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    const record = value as { name?: unknown; peakRssMb?: unknown };
    if (typeof record.name === 'string' && typeof record.peakRssMb === 'number') {
      peaks[record.name] = Math.max(peaks[record.name] ?? 0, record.peakRssMb);
    }
    Object.values(value).forEach(visit);
  };
  visit(bench);
  return peaks;
}
