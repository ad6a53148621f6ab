import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyJsonPatch, KustomizeRenderer, overrideImage } from './support/kustomize-renderer';

/** A throwaway kustomization tree: { 'base/kustomization.yaml': '...', ... }. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'lmsw-kustomize-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  roots.push(root);
  return root;
}
const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

const deployment = (name: string, image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  template:
    spec:
      initContainers: [{ name: init, image: ${image} }]
      containers: [{ name: main, image: ${image} }, { name: sidecar, image: other:1 }]
`;

describe('KustomizeRenderer (the Kustomize subset deploy/ uses)', () => {
  it('renders an overlay over a base: namespace, images, replicas, a JSON 6902 patch and a generated ConfigMap', () => {
    const root = tree({
      'base/kustomization.yaml': 'resources: [app.yaml]\n',
      'base/app.yaml': `${deployment('app', 'lms-webhooks')}---\napiVersion: v1\nkind: Namespace\nmetadata: { name: ns }\n`,
      'overlay/dashboard.json': '{"a":1}\n',
      'overlay/kustomization.yaml': `
namespace: prod
resources: [../base]
images: [{ name: lms-webhooks, newName: registry.example.com/lmsw, newTag: '2.0' }]
replicas: [{ name: app, count: 3 }]
patches:
  - target: { kind: Deployment, name: app }
    patch: |-
      - op: add
        path: /metadata/labels
        value: { tier: web }
configMapGenerator:
  - name: dash
    files: [board.json=dashboard.json]
    literals: [A=b=c]
    options: { disableNameSuffixHash: true, labels: { grafana_dashboard: '1' } }
`,
    });
    const [app, namespace, configMap] = new KustomizeRenderer().render(path.join(root, 'overlay'));
    expect(app.metadata).toEqual({ name: 'app', namespace: 'prod', labels: { tier: 'web' } });
    const pod = app.spec as {
      replicas: number;
      template: { spec: Record<string, Array<{ image: string }>> };
    };
    expect(pod.replicas).toBe(3);
    expect(pod.template.spec.containers.map((container) => container.image)).toEqual([
      'registry.example.com/lmsw:2.0',
      'other:1',
    ]);
    expect(pod.template.spec.initContainers[0].image).toBe('registry.example.com/lmsw:2.0');
    expect(namespace.metadata.namespace).toBeUndefined();
    expect(configMap).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'dash', namespace: 'prod', labels: { grafana_dashboard: '1' } },
      data: { 'board.json': '{"a":1}\n', A: 'b=c' },
    });
  });

  it.each([
    [
      'a field it does not implement',
      'resources: [a.yaml]\nnamePrefix: x-\n',
      'unsupported field "namePrefix"',
    ],
    [
      'a strategic-merge patch',
      'resources: [a.yaml]\npatches: [{ patch: "kind: Deployment" }]\n',
      'only JSON 6902',
    ],
    [
      'a patch whose target matches nothing',
      'resources: [a.yaml]\npatches: [{ target: { name: nope }, patch: "[]" }]\n',
      'matches nothing',
    ],
    [
      'a hashed generator name',
      'configMapGenerator: [{ name: c, literals: [A=1] }]\n',
      'disableNameSuffixHash',
    ],
    ['a missing resource', 'resources: [missing.yaml]\n', 'does not exist'],
    ['the same object twice', 'resources: [a.yaml, a.yaml]\n', 'is defined twice'],
  ])('refuses %s, naming it', (_case, kustomization, message) => {
    const root = tree({ 'kustomization.yaml': kustomization, 'a.yaml': deployment('app', 'img') });
    expect(() => new KustomizeRenderer().render(root)).toThrow(message);
  });

  it('applies RFC 6902 add (object member, array index, append), replace, remove and test', () => {
    const document = { list: ['a', 'c'], map: { 'a/b': 1, 'x~y': 2 } as Record<string, number> };
    applyJsonPatch(document, [
      { op: 'add', path: '/list/1', value: 'b' },
      { op: 'add', path: '/list/-', value: 'd' },
      { op: 'replace', path: '/map/a~1b', value: 10 },
      { op: 'remove', path: '/map/x~0y' },
      { op: 'add', path: '/map/new', value: 3 },
      { op: 'test', path: '/list/0', value: 'a' },
    ]);
    expect(document).toEqual({ list: ['a', 'b', 'c', 'd'], map: { 'a/b': 10, new: 3 } });
    expect(() => applyJsonPatch(document, [{ op: 'replace', path: '/missing', value: 1 }])).toThrow(
      'does not exist',
    );
    expect(() => applyJsonPatch(document, [{ op: 'test', path: '/list/0', value: 'z' }])).toThrow(
      'test failed',
    );
    expect(() => applyJsonPatch(document, [{ op: 'remove', path: '/list/9' }])).toThrow('does not exist');
  });

  it('overrides images by name only, keeping or replacing tag and digest as Kustomize does', () => {
    expect(overrideImage('lmsw', { name: 'lmsw', newTag: '1' })).toBe('lmsw:1');
    expect(overrideImage('lmsw:0.9', { name: 'lmsw', newName: 'r.io/lmsw' })).toBe('r.io/lmsw:0.9');
    expect(overrideImage('r.io:5000/lmsw:0.9', { name: 'r.io:5000/lmsw', newTag: '1' })).toBe(
      'r.io:5000/lmsw:1',
    );
    expect(overrideImage('lmsw:0.9', { name: 'lmsw', digest: 'sha256:ab' })).toBe('lmsw@sha256:ab');
    expect(overrideImage('lmsw-other:1', { name: 'lmsw', newTag: '2' })).toBe('lmsw-other:1');
  });
});
