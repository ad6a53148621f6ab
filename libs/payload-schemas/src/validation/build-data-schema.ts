import { describeLmsFields, lmsFieldSchema } from './lms-field.decorator';

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

/**
 * JSON Schema (draft 2020-12) for one event's `data`, generated from the @LmsField declarations of its
 * DTO. `additionalProperties: true` because the LMS may add fields and receivers get them untouched.
 */
export function buildDataSchema(
  eventName: string,
  description: string,
  dto: object,
): Record<string, unknown> {
  const fields = describeLmsFields(dto);
  return {
    $schema: JSON_SCHEMA_DIALECT,
    $id: `urn:lms-webhooks:event:${eventName}:data`,
    title: `${eventName} data`,
    description,
    type: 'object',
    properties: Object.fromEntries(fields.map((field) => [field.property, lmsFieldSchema(field)])),
    required: fields.filter((field) => !field.optional).map((field) => field.property),
    additionalProperties: true,
  };
}
