import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

// The OpenAPI document is JSON we read as it is; its shape is OpenAPI 3.0, not a TS type.
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Validates values against the schemas of an OpenAPI 3.0 document with ajv. OpenAPI 3.0 schemas are
 * JSON Schema plus `nullable` (and `example`, `writeOnly`): `nullable` becomes `null` in the type.
 * With `closed`, objects that list properties refuse any other: a response field the document does
 * not describe is a failure, not a pass.
 */
export class OpenApiValidator {
  private readonly ajv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly closed: boolean;

  constructor(
    readonly document: Json,
    options: { closed: boolean },
  ) {
    this.closed = options.closed;
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addKeyword('example');
    this.ajv.addSchema(
      { $id: 'openapi', components: toJsonSchema(document.components, options.closed) },
      'openapi',
    );
  }

  operation(method: string, path: string): Json {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`the document has no ${method} ${path}`);
    return operation;
  }

  /** Errors of the request body against the operation's schema ([] when it passes). */
  requestBodyErrors(method: string, path: string, body: unknown): string[] {
    const schema = this.operation(method, path).requestBody?.content?.['application/json']?.schema;
    if (!schema) return [`${method} ${path} documents no JSON body`];
    return this.errors(schema, body);
  }

  /** Errors of one query parameter value (as text) against its schema. */
  queryErrors(method: string, path: string, query: URLSearchParams): string[] {
    const parameters: Json[] = this.operation(method, path).parameters ?? [];
    const errors: string[] = [];
    for (const [name, value] of query) {
      const parameter = parameters.find((p) => p.in === 'query' && p.name === name);
      if (!parameter) errors.push(`query ${name} is not documented`);
      else {
        const schema = this.resolve(parameter.schema);
        // A query value is text; a documented integer is its decimal form.
        const typed = schema.type === 'integer' || schema.type === 'number' ? Number(value) : value;
        errors.push(...this.errors(parameter.schema, typed).map((e) => `query ${name}: ${e}`));
      }
    }
    return errors;
  }

  /** Errors of an answer: its status must be documented, and its JSON body must match. */
  responseErrors(method: string, path: string, status: number, body: unknown): string[] {
    const response = this.operation(method, path).responses[String(status)];
    if (!response) return [`${method} ${path} does not document status ${status}`];
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return body === undefined ? [] : [`${method} ${path} ${status} documents no body`];
    return this.errors(schema, body);
  }

  private resolve(schema: Json): Json {
    const ref: string | undefined = schema.$ref;
    return ref ? this.document.components.schemas[ref.split('/').pop() as string] : schema;
  }

  private errors(schema: Json, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let validate = this.cache.get(key);
    if (!validate) {
      validate = this.ajv.compile(rebase(toJsonSchema(schema, this.closed)));
      this.cache.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
  }
}

/** `#/components/...` inside an operation's schema points into the registered document. */
function rebase(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? [key, `openapi${value}`]
        : [key, rebase(value)],
    ),
  );
}

function toJsonSchema(node: Json, closed: boolean): Json {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, closed));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable') continue;
    out[key] = key === 'example' ? value : toJsonSchema(value, closed);
  }
  if (closed && out.properties && out.additionalProperties === undefined && !out.allOf) {
    out.additionalProperties = false;
  }
  if (node.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    } else {
      return { anyOf: [out, { type: 'null' }] };
    }
  }
  return out;
}
