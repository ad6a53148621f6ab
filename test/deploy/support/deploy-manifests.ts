import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { KubernetesObject, KustomizeRenderer } from './kustomize-renderer';

export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
export const DEPLOY_DIR = path.join(REPOSITORY_ROOT, 'deploy');

/** Every kustomization an operator applies; CI renders and validates each. */
export const OVERLAYS = ['overlays/production', 'overlays/production/migrate'] as const;

export function renderOverlay(overlay: string): KubernetesObject[] {
  return new KustomizeRenderer().render(path.join(DEPLOY_DIR, overlay));
}

export interface SchemaReport {
  apiVersion: string;
  kind: string;
  name?: string;
  errors: string[];
}

/** Runs kubernetes-schema-check.mjs (ES modules only: outside Jest's CommonJS runtime). */
export function validateAgainstSchemas(objects: unknown[]): SchemaReport[] {
  const result = spawnSync(process.execPath, [path.join(__dirname, 'kubernetes-schema-check.mjs')], {
    cwd: REPOSITORY_ROOT,
    input: JSON.stringify(objects),
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0)
    throw new Error(`schema check failed to run: ${result.stderr || result.error?.message}`);
  return JSON.parse(result.stdout) as SchemaReport[];
}

// The parts of the Kubernetes API the tests read (the schemas themselves are checked above).
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: unknown };
}
export interface HttpProbe {
  httpGet?: { path: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: { cpu?: string; memory?: string }; limits?: { cpu?: string; memory?: string } };
  startupProbe?: HttpProbe;
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
}
export interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
}

export function podSpec(workload: KubernetesObject): PodSpec {
  return (workload.spec as { template: { spec: PodSpec } }).template.spec;
}

export function find(objects: KubernetesObject[], kind: string, name: string): KubernetesObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`${kind} ${name} is not in the rendered manifests`);
  return found;
}

/**
 * The environment a container would get, the way the kubelet builds it: envFrom ConfigMaps first,
 * then env. A secretKeyRef is replaced by `secrets(name, key)`: tests hand in their own values
 * (random, since production refuses any key published in the repository).
 */
export function containerEnvironment(
  objects: KubernetesObject[],
  container: Container,
  secrets: (secret: string, key: string) => string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) throw new Error(`${container.name}: only configMapRef envFrom is expected`);
    const configMap = find(objects, 'ConfigMap', source.configMapRef.name);
    Object.assign(env, (configMap as unknown as { data: Record<string, string> }).data);
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    if (secret) env[variable.name] = secrets(secret.name, secret.key);
    else if (variable.value !== undefined) env[variable.name] = variable.value;
    else throw new Error(`${container.name}: ${variable.name} has neither a value nor a secretKeyRef`);
  }
  return env;
}

/** Values of the right shape for the Secret's keys, made up per test run and never published. */
export function testSecrets(overrides: Record<string, string> = {}): (secret: string, key: string) => string {
  const values: Record<string, string> = {
    DATABASE_URL: 'postgres://lmsw:pw@postgres.invalid:5432/lms_webhooks',
    REDIS_URL: 'redis://redis.invalid:6379',
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ADMIN_JWT_SECRET: randomBytes(32).toString('hex'),
    ...overrides,
  };
  return (secret, key) => {
    if (secret !== 'lms-webhooks-secrets') throw new Error(`unexpected Secret ${secret}`);
    const value = values[key];
    if (value === undefined) throw new Error(`no test value for Secret key ${key}`);
    return value;
  };
}

/** The port a probe targets, resolving a named port through the container's ports. */
export function probePort(container: Container, probe: HttpProbe): number {
  const port = probe.httpGet?.port;
  if (typeof port === 'number') return port;
  const named = container.ports?.find((candidate) => candidate.name === port);
  if (!named) throw new Error(`${container.name}: probe port "${port}" is not a named container port`);
  return named.containerPort;
}
