// Test-only: a checker for the JSON Schema keywords the catalogue uses, so tests can prove each example
// matches its schema without adding a schema library. Any other keyword is an error, not a silent pass.
const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description']);
const SUPPORTED = new Set([
  'type',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'anyOf',
  'properties',
  'required',
  'additionalProperties',
]);

type Schema = Record<string, unknown>;

function jsonTypeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      throw new Error(`unsupported JSON Schema type "${type}"`);
  }
}

/** Problems found checking `value` against `schema` (empty = valid). */
export function checkJsonSchemaSubset(schema: Schema, value: unknown, path = '$'): string[] {
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !SUPPORTED.has(keyword))
      throw new Error(`unsupported keyword "${keyword}"`);
  }
  const problems: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => jsonTypeMatches(type, value))) {
      return [`${path}: expected type ${types.join(' | ')}, got ${JSON.stringify(value)}`];
    }
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    problems.push(`${path}: not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${path}: below minimum`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${path}: above maximum`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength)
      problems.push(`${path}: too short`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength)
      problems.push(`${path}: too long`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      problems.push(`${path}: does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as Schema[];
    if (!branches.some((branch) => checkJsonSchemaSubset(branch, value, path).length === 0)) {
      problems.push(`${path}: matches none of anyOf`);
    }
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? []) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) problems.push(`${path}.${key}: required`);
    }
    const properties = (schema.properties as Record<string, Schema> | undefined) ?? {};
    for (const [key, propertyValue] of Object.entries(object)) {
      const propertySchema = properties[key];
      if (propertySchema !== undefined) {
        problems.push(...checkJsonSchemaSubset(propertySchema, propertyValue, `${path}.${key}`));
      } else if (schema.additionalProperties === false) {
        problems.push(`${path}.${key}: additional property not allowed`);
      }
    }
  }
  return problems;
}
