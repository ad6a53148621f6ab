// Validates Kubernetes objects against the published schemas of kubernetes-models (the Kubernetes
// OpenAPI schemas, plus the KEDA and prometheus-operator CRD schemas), compiled to ajv validators.
// Those packages ship ES modules only, which Jest's CommonJS runtime cannot load, so the tests run
// this file with node: a JSON array of objects on stdin, one report per object on stdout.
// A kind without a schema here is an error, never a pass.
const MODEL_PACKAGES = {
  'keda.sh': '@kubernetes-models/keda',
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

function modelModule(apiVersion, kind) {
  const slash = apiVersion.indexOf('/');
  const group = slash === -1 ? '' : apiVersion.slice(0, slash);
  const pkg = MODEL_PACKAGES[group] ?? 'kubernetes-models';
  return `${pkg}/${apiVersion}/${kind}`;
}

async function validateOne(object) {
  const { apiVersion, kind } = object ?? {};
  const name = object?.metadata?.name;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    return { apiVersion, kind, name, errors: ['apiVersion and kind are required'] };
  }
  let Model;
  try {
    Model = (await import(modelModule(apiVersion, kind)))[kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== 'function') {
    return { apiVersion, kind, name, errors: [`no schema for ${apiVersion} ${kind}`] };
  }
  try {
    new Model(object).validate();
    return { apiVersion, kind, name, errors: [] };
  } catch (error) {
    return { apiVersion, kind, name, errors: [error instanceof Error ? error.message : String(error)] };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) input += chunk;
const reports = [];
for (const object of JSON.parse(input)) reports.push(await validateOne(object));
process.stdout.write(JSON.stringify(reports));
