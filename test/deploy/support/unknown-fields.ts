import path from 'node:path';
import ts from 'typescript';
import { KubernetesObject } from './kustomize-renderer';
import { REPOSITORY_ROOT } from './deploy-manifests';

/** A field the object's schema does not define, by kind, name and JSON path. */
export interface UnknownField {
  object: string;
  path: string;
}

const MODEL_PACKAGES: Record<string, string> = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modelModule(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  return `${MODEL_PACKAGES[group] ?? 'kubernetes-models'}/${apiVersion}/${kind}`;
}

/**
 * Fields the schemas do not define. The compiled validators (kubernetes-schema-check.mjs) accept
 * unknown fields, as the OpenAPI schemas allow them, while `kubectl apply` (strict field validation)
 * refuses them: a misspelt `readinesProbe` would pass one and fail the other. The field lists come
 * from the same kubernetes-models packages, through their TypeScript declarations, read with the
 * TypeScript compiler: each object's keys are matched against its kind's interface, recursively.
 */
export function unknownFieldFinder(
  objects: KubernetesObject[],
): (object: KubernetesObject) => UnknownField[] {
  const kinds = [...new Set(objects.map((object) => `${object.apiVersion} ${object.kind}`))];
  const source = [
    ...kinds.map((key, index) => {
      const [apiVersion, kind] = key.split(' ');
      return `import type { I${kind} as Kind${index} } from '${modelModule(apiVersion, kind)}';`;
    }),
    ...kinds.map((_key, index) => `export type Kind${index}Fields = Kind${index};`),
  ].join('\n');

  const fileName = path.join(REPOSITORY_ROOT, '__deploy_kinds__.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : readFile(name, language, ...rest);
  const program = ts.createProgram([fileName], options, host);
  const checker = program.getTypeChecker();
  const unresolved = program
    .getSemanticDiagnostics(program.getSourceFile(fileName))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  if (unresolved.length > 0) throw new Error(`no declarations for some kinds: ${unresolved.join('; ')}`);

  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(fileName)!)!);
  const kindType = (key: string): ts.Type => {
    const symbol = exported.find((candidate) => candidate.name === `Kind${kinds.indexOf(key)}Fields`)!;
    return checker.getDeclaredTypeOfSymbol(symbol);
  };

  // One compilation (seconds) for every kind given; each check after that is a walk over one object.
  return (object) => {
    const key = `${object.apiVersion} ${object.kind}`;
    if (!kinds.includes(key)) throw new Error(`${key} was not among the kinds this finder was built for`);
    const unknown: UnknownField[] = [];
    const label = `${object.kind} ${object.metadata.name}`;
    walk(checker, object, kindType(key), '', (fieldPath) => unknown.push({ object: label, path: fieldPath }));
    return unknown;
  };
}

function walk(
  checker: ts.TypeChecker,
  value: unknown,
  declared: ts.Type,
  at: string,
  report: (path: string) => void,
): void {
  const type = checker.getNonNullableType(declared);
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  const constituents = type.isUnion() ? type.types : [type];
  if (Array.isArray(value)) {
    const arrayType = constituents.find((candidate) => checker.isArrayType(candidate));
    if (!arrayType) return;
    const [element] = checker.getTypeArguments(arrayType as ts.TypeReference);
    value.forEach((item, index) => walk(checker, item, element, `${at}[${index}]`, report));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const objectTypes = constituents.filter((candidate) => candidate.flags & ts.TypeFlags.Object);
  if (objectTypes.length === 0) return;
  for (const [key, member] of Object.entries(value)) {
    const fieldPath = `${at}.${key}`;
    const property = objectTypes
      .map((candidate) => checker.getPropertyOfType(candidate, key))
      .find((symbol) => symbol !== undefined);
    if (property) {
      walk(checker, member, checker.getTypeOfSymbol(property), fieldPath, report);
      continue;
    }
    const index = objectTypes
      .map((candidate) => checker.getIndexInfoOfType(candidate, ts.IndexKind.String))
      .find((info) => info !== undefined);
    if (index) walk(checker, member, index.type, fieldPath, report);
    else report(fieldPath);
  }
}
