import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** One rendered Kubernetes object, as `kubectl kustomize` would print it. */
export type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
};

/**
 * The part of Kustomize that deploy/ uses, so CI can render the manifests without the kustomize
 * binary (none is installable here): resources (files and directories), namespace, images, replicas,
 * JSON 6902 patches with a kind/name target, and configMapGenerator without a name hash. Any other
 * field is refused with its name, so deploy/ can never start using something this renderer would
 * silently get wrong; `kubectl apply -k` renders the same files for real.
 */
export class KustomizeRenderer {
  private static readonly FIELDS = new Set([
    'apiVersion',
    'kind',
    'namespace',
    'resources',
    'images',
    'replicas',
    'patches',
    'configMapGenerator',
  ]);

  render(directory: string): KubernetesObject[] {
    const file = path.join(directory, 'kustomization.yaml');
    if (!existsSync(file)) throw new Error(`${directory} has no kustomization.yaml`);
    const kustomization = parse(readFileSync(file, 'utf8')) as Kustomization;
    for (const field of Object.keys(kustomization)) {
      if (!KustomizeRenderer.FIELDS.has(field)) throw new Error(`${file}: unsupported field "${field}"`);
    }
    if (kustomization.kind !== undefined && kustomization.kind !== 'Kustomization') {
      throw new Error(`${file}: kind must be Kustomization (got ${kustomization.kind})`);
    }

    const objects: KubernetesObject[] = [];
    for (const entry of kustomization.resources ?? []) {
      objects.push(...this.loadResource(path.resolve(directory, entry), file));
    }
    for (const generator of kustomization.configMapGenerator ?? []) {
      objects.push(generateConfigMap(generator, directory, file));
    }
    assertUniqueIds(objects, file);
    for (const patch of kustomization.patches ?? []) applyPatch(objects, patch, directory, file);
    if (kustomization.namespace !== undefined) setNamespace(objects, kustomization.namespace);
    for (const image of kustomization.images ?? []) setImage(objects, image);
    for (const replicas of kustomization.replicas ?? []) setReplicas(objects, replicas, file);
    return objects;
  }

  private loadResource(target: string, from: string): KubernetesObject[] {
    if (!existsSync(target)) throw new Error(`${from}: resource ${target} does not exist`);
    if (statSync(target).isDirectory()) return this.render(target);
    return parseAllDocuments(readFileSync(target, 'utf8'))
      .map((document) => {
        if (document.errors.length > 0) throw new Error(`${target}: ${document.errors[0].message}`);
        return document.toJS() as KubernetesObject | null;
      })
      .filter((object): object is KubernetesObject => object !== null)
      .map((object) => {
        if (!object.apiVersion || !object.kind || !object.metadata?.name) {
          throw new Error(`${target}: every object needs apiVersion, kind and metadata.name`);
        }
        return object;
      });
  }
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  images?: ImageOverride[];
  replicas?: Array<{ name: string; count: number }>;
  patches?: PatchEntry[];
  configMapGenerator?: ConfigMapGenerator[];
}

interface ImageOverride {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

interface PatchEntry {
  target?: { kind?: string; name?: string };
  patch?: string;
  path?: string;
}

interface ConfigMapGenerator {
  name: string;
  files?: string[];
  literals?: string[];
  options?: { disableNameSuffixHash?: boolean; labels?: Record<string, string> };
}

/** RFC 6902 operation, as Kustomize applies it. */
export type JsonPatchOperation =
  { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

/** Kinds that live outside any namespace: the namespace transformer leaves them alone. */
const CLUSTER_SCOPED_KINDS = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
]);

function assertUniqueIds(objects: KubernetesObject[], file: string): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.apiVersion} ${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
}

function generateConfigMap(generator: ConfigMapGenerator, directory: string, file: string): KubernetesObject {
  // Kustomize appends a hash of the content to the name unless told not to; this renderer does not
  // compute Kustomize's hash, so it only renders generators that keep their name.
  if (generator.options?.disableNameSuffixHash !== true) {
    throw new Error(
      `${file}: configMapGenerator ${generator.name} needs options.disableNameSuffixHash: true`,
    );
  }
  const data: Record<string, string> = {};
  for (const entry of generator.files ?? []) {
    const [key, source] = entry.includes('=') ? entry.split('=', 2) : [path.basename(entry), entry];
    data[key] = readFileSync(path.resolve(directory, source), 'utf8');
  }
  for (const literal of generator.literals ?? []) {
    const at = literal.indexOf('=');
    if (at <= 0) throw new Error(`${file}: literal "${literal}" is not KEY=VALUE`);
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  const labels = generator.options.labels;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: generator.name, ...(labels ? { labels: { ...labels } } : {}) },
    data,
  };
}

function applyPatch(objects: KubernetesObject[], entry: PatchEntry, directory: string, file: string): void {
  const text =
    entry.patch ?? (entry.path ? readFileSync(path.resolve(directory, entry.path), 'utf8') : undefined);
  if (text === undefined) throw new Error(`${file}: a patch needs patch or path`);
  const operations = parse(text) as unknown;
  if (!Array.isArray(operations)) {
    throw new Error(`${file}: only JSON 6902 patches (a list of operations) are supported`);
  }
  const targets = objects.filter(
    (object) =>
      (entry.target?.kind === undefined || object.kind === entry.target.kind) &&
      (entry.target?.name === undefined || object.metadata.name === entry.target.name),
  );
  if (targets.length === 0) {
    throw new Error(`${file}: patch target ${JSON.stringify(entry.target)} matches nothing`);
  }
  for (const target of targets) applyJsonPatch(target, operations as JsonPatchOperation[]);
}

/** RFC 6902 add, replace, remove and test on a plain JSON value, in place. */
export function applyJsonPatch(document: object, operations: JsonPatchOperation[]): void {
  for (const operation of operations) {
    const tokens = parsePointer(operation.path);
    const last = tokens.pop();
    if (last === undefined) throw new Error(`patch path "${operation.path}" points at the whole document`);
    let parent: unknown = document;
    for (const token of tokens) {
      parent = child(parent, token);
      if (parent === undefined) throw new Error(`patch path "${operation.path}": "${token}" does not exist`);
    }
    if (typeof parent !== 'object' || parent === null) {
      throw new Error(`patch path "${operation.path}": parent is not an object or array`);
    }
    switch (operation.op) {
      case 'add':
        if (Array.isArray(parent)) {
          const index = last === '-' ? parent.length : arrayIndex(parent, last, operation.path, true);
          parent.splice(index, 0, operation.value);
        } else {
          (parent as Record<string, unknown>)[last] = operation.value;
        }
        break;
      case 'replace':
        requireMember(parent, last, operation.path);
        if (Array.isArray(parent)) parent[arrayIndex(parent, last, operation.path)] = operation.value;
        else (parent as Record<string, unknown>)[last] = operation.value;
        break;
      case 'remove':
        requireMember(parent, last, operation.path);
        if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, operation.path), 1);
        else delete (parent as Record<string, unknown>)[last];
        break;
      case 'test':
        if (JSON.stringify(child(parent, last)) !== JSON.stringify(operation.value)) {
          throw new Error(`patch test failed at "${operation.path}"`);
        }
        break;
      default:
        throw new Error(`unsupported patch op ${(operation as { op: string }).op}`);
    }
  }
}

function parsePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) throw new Error(`patch path "${pointer}" must start with /`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function child(parent: unknown, token: string): unknown {
  if (Array.isArray(parent)) return /^\d+$/.test(token) ? parent[Number(token)] : undefined;
  if (typeof parent === 'object' && parent !== null) return (parent as Record<string, unknown>)[token];
  return undefined;
}

function requireMember(parent: object, token: string, pointer: string): void {
  if (child(parent, token) === undefined) throw new Error(`patch path "${pointer}" does not exist`);
}

function arrayIndex(array: unknown[], token: string, pointer: string, forInsert = false): number {
  const index = /^\d+$/.test(token) ? Number(token) : -1;
  if (index < 0 || index > array.length || (!forInsert && index === array.length)) {
    throw new Error(`patch path "${pointer}": index ${token} is out of range`);
  }
  return index;
}

function setNamespace(objects: KubernetesObject[], namespace: string): void {
  for (const object of objects) {
    if (!CLUSTER_SCOPED_KINDS.has(object.kind)) object.metadata.namespace = namespace;
  }
}

/** Kustomize's images transformer: every containers[]/initContainers[] image whose name matches. */
function setImage(objects: KubernetesObject[], override: ImageOverride): void {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, member] of Object.entries(value as Record<string, unknown>)) {
      if ((key === 'containers' || key === 'initContainers') && Array.isArray(member)) {
        for (const container of member as Array<{ image?: string }>) {
          if (typeof container.image === 'string') container.image = overrideImage(container.image, override);
        }
      }
      visit(member);
    }
  };
  objects.forEach(visit);
}

export function overrideImage(image: string, override: ImageOverride): string {
  const [withoutDigest, digest] = image.split('@', 2);
  const colon = withoutDigest.lastIndexOf(':');
  const hasTag = colon > withoutDigest.lastIndexOf('/');
  const name = hasTag ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = hasTag ? withoutDigest.slice(colon + 1) : undefined;
  if (name !== override.name) return image;
  const newName = override.newName ?? name;
  if (override.digest) return `${newName}@${override.digest}`;
  const newTag = override.newTag ?? tag;
  return `${newName}${newTag ? `:${newTag}` : ''}${!override.newTag && digest ? `@${digest}` : ''}`;
}

function setReplicas(
  objects: KubernetesObject[],
  replicas: { name: string; count: number },
  file: string,
): void {
  const targets = objects.filter(
    (object) =>
      object.metadata.name === replicas.name &&
      ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(object.kind),
  );
  if (targets.length === 0) throw new Error(`${file}: replicas for ${replicas.name} match no workload`);
  for (const target of targets) (target.spec as { replicas?: number }).replicas = replicas.count;
}
