/**
 * The admin API's OpenAPI document (`/docs-json`) as TypeScript: one exported type per component
 * schema, read by the console instead of hand-copied shapes. Small on purpose: it covers what
 * @nestjs/swagger emits (objects, arrays, enums, nullable, $ref, allOf, additionalProperties).
 * openapi-typescript would do the same but wants TypeScript 5 as a peer, and this repository is on 6.
 */
interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  nullable?: boolean;
  items?: SchemaObject;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  allOf?: SchemaObject[];
  oneOf?: SchemaObject[];
  anyOf?: SchemaObject[];
  additionalProperties?: boolean | SchemaObject;
  description?: string;
}

interface OpenApiDocument {
  info?: { title?: string; version?: string };
  components?: { schemas?: Record<string, SchemaObject> };
}

export function openApiToTypeScript(document: OpenApiDocument): string {
  const schemas = document.components?.schemas ?? {};
  const lines = [
    "// GENERATED from the admin API's OpenAPI document (/docs-json) by",
    '// test/console/support/openapi-to-typescript.ts. Do not edit: test/console/api-types.e2e-spec.ts',
    '// fails on any difference, and `UPDATE_API_TYPES=1` on that test rewrites this file.',
    '',
  ];
  for (const name of Object.keys(schemas).sort()) {
    const schema = schemas[name];
    if (schema.description) lines.push(`/** ${oneLine(schema.description)} */`);
    lines.push(`export type ${name} = ${typeOf(schema, '')};`, '');
  }
  return lines.join('\n');
}

function typeOf(schema: SchemaObject, indent: string): string {
  const base = baseTypeOf(schema, indent);
  return schema.nullable ? `${base} | null` : base;
}

function baseTypeOf(schema: SchemaObject, indent: string): string {
  if (schema.$ref) return schema.$ref.replace('#/components/schemas/', '');
  if (schema.allOf) return schema.allOf.map((part) => typeOf(part, indent)).join(' & ');
  const union = schema.oneOf ?? schema.anyOf;
  if (union) return union.map((part) => typeOf(part, indent)).join(' | ');
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `${wrap(typeOf(schema.items ?? {}, indent))}[]`;
    case 'object':
    case undefined:
      return objectType(schema, indent);
    default:
      return 'unknown';
  }
}

function objectType(schema: SchemaObject, indent: string): string {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const inner = `${indent}  `;
  const members = Object.keys(properties).map((key) => {
    const property = properties[key];
    const doc = property.description ? `${inner}/** ${oneLine(property.description)} */\n` : '';
    const optional = required.has(key) ? '' : '?';
    return `${doc}${inner}${safeKey(key)}${optional}: ${typeOf(property, inner)};`;
  });
  const extra = schema.additionalProperties;
  if (extra) members.push(`${inner}[key: string]: ${extra === true ? 'unknown' : typeOf(extra, inner)};`);
  if (members.length === 0) return schema.type === 'object' ? 'Record<string, unknown>' : 'unknown';
  return `{\n${members.join('\n')}\n${indent}}`;
}

function wrap(type: string): string {
  return /[|&]/.test(type) ? `(${type})` : type;
}

function safeKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\*\//g, '* /').trim();
}
