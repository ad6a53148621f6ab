import { readdirSync } from 'node:fs';
import path from 'node:path';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ReplayDto } from '../deliveries/dto/replay.dto';
import { CreateWebhookDto } from '../webhooks/dto/create-webhook.dto';
import type { ApiErrorDetail } from './api-error';
import { ApiValidationPipe } from './api-validation.pipe';
import { RequestValidationError } from './request-validation.error';
import {
  constraintNameOf,
  INVALID_VALUE,
  ruleOf,
  VALIDATION_DETAIL_CODES,
  type ValidationDetailCode,
} from './validation-detail-codes';

/** A class, as class-validator keys its store. */
type Class = abstract new (...args: never[]) => unknown;

/** Metadata that only decides whether to validate (ValidateIf, IsOptional): it never fails. */
const NEVER_FAILS = new Set<string>([ValidationTypes.CONDITIONAL_VALIDATION]);

/** Every class class-validator knows, with its own metadata. */
function validatedClasses(): Map<Class, ValidationMetadata[]> {
  // Reading class-validator's store: the public API answers one class at a time, not which exist.
  return (getMetadataStorage() as unknown as { validationMetadatas: Map<Class, ValidationMetadata[]> })
    .validationMetadatas;
}

function sourceFiles(directory: string, pattern: RegExp): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full, pattern);
    return pattern.test(entry.name) && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

/**
 * The admin API's DTOs, found as a controller would: the classes that appear in class-validator's
 * store once every controller is loaded, beyond those the libraries brought (the LMS payload
 * schemas). A new DTO or a new decorator on an old one is in this list without anyone adding it.
 */
function adminApiDtos(): Map<Class, ValidationMetadata[]> {
  let dtos = new Map<Class, ValidationMetadata[]>();
  // A fresh module registry, so the classes this spec imported above are registered again, after the mark.
  jest.isolateModules(() => {
    jest.requireActual('@lms/payload-schemas');
    jest.requireActual('@lms/webhook-domain');
    const before = new Set(validatedClasses().keys());
    for (const file of sourceFiles(path.resolve(__dirname, '..'), /\.(controller|dto|query)\.ts$/))
      jest.requireActual(file);
    dtos = new Map([...validatedClasses()].filter(([target]) => !before.has(target)));
  });
  return dtos;
}

async function detailsOf(metatype: Class, body: unknown, type: 'body' | 'query' = 'body') {
  try {
    await new ApiValidationPipe().transform(body, { type, metatype: metatype as never });
  } catch (error) {
    if (error instanceof RequestValidationError) return error.details;
    throw error;
  }
  throw new Error('the body passed validation');
}

const VALID_WEBHOOK = {
  name: 'HR sync',
  targetUrl: 'https://hooks.example.com/lms',
  authentication: { type: 'NONE' },
  events: ['COURSE_ENROLLMENT'],
};

describe('validation detail codes', () => {
  it('give every constraint of every admin API DTO a code (a new decorator without one fails here)', () => {
    const dtos = adminApiDtos();
    const names = [...dtos.keys()].map((target) => target.name);
    // The store is read for real: the known DTOs are in it.
    expect(names).toEqual(
      expect.arrayContaining([
        'CreateWebhookDto',
        'UpdateWebhookDto',
        'WebhookAuthenticationDto',
        'TestEventChoiceDto',
        'ReplayDto',
        'ListDeliveriesQuery',
      ]),
    );
    const uncoded: string[] = [];
    const seen = new Set<string>();
    for (const [target, metadatas] of dtos)
      for (const metadata of metadatas) {
        if (NEVER_FAILS.has(metadata.type)) continue;
        const rule = ruleOf(constraintNameOf(metadata), metadata, undefined);
        if (!rule || !(VALIDATION_DETAIL_CODES as readonly string[]).includes(rule.code))
          uncoded.push(`${target.name}.${metadata.propertyName}: ${constraintNameOf(metadata)}`);
        else seen.add(constraintNameOf(metadata));
      }
    expect(uncoded).toEqual([]);
    // What the walk covered, so an empty walk cannot pass.
    expect([...seen].sort()).toEqual(
      expect.arrayContaining(['isIn', 'isInt', 'isLength', 'isString', 'matches', 'max', 'maxLength', 'min']),
    );
  });

  it('code what the pipe checks before class-validator, and what forbidNonWhitelisted refuses', () => {
    expect(ruleOf('whitelistValidation', undefined, undefined)).toEqual({ code: 'UNKNOWN_FIELD' });
    expect(ruleOf('unknownValue', undefined, undefined)).toEqual({ code: 'NOT_AN_OBJECT' });
    expect(ruleOf('noSuchConstraint', undefined, undefined)).toBeUndefined();
  });

  it('answer a too-long name with FIELD_TOO_LONG and its maximum, a blank one with FIELD_BLANK', async () => {
    const tooLong = await detailsOf(CreateWebhookDto, { ...VALID_WEBHOOK, name: 'x'.repeat(101) });
    expect(tooLong).toEqual([
      {
        field: 'name',
        code: 'FIELD_TOO_LONG',
        message: 'must be shorter than or equal to 100 characters',
        params: { max: 100 },
      },
    ]);
    // Two `matches` on one field: the one that failed names the code, not the last declared.
    expect(await detailsOf(CreateWebhookDto, { ...VALID_WEBHOOK, name: '   ' })).toEqual([
      { field: 'name', code: 'FIELD_BLANK', message: 'must not be blank' },
    ]);
    expect(await detailsOf(CreateWebhookDto, { ...VALID_WEBHOOK, name: 'a\u0007b' })).toEqual([
      { field: 'name', code: 'CONTROL_CHARACTERS', message: 'must not contain control characters' },
    ]);
  });

  it('code nested, per-item, listed and unknown fields with their parameters', async () => {
    const details = await detailsOf(CreateWebhookDto, {
      ...VALID_WEBHOOK,
      authentication: { type: 'OAUTH' },
      events: ['COURSE_ENROLLMENT', 'X'.repeat(65)],
      maxInFlight: 0,
      colour: 'blue',
    });
    const coded = (detail: ApiErrorDetail) => [detail.field, detail.code, detail.params];
    expect(details.map(coded)).toEqual(
      expect.arrayContaining([
        ['authentication.type', 'NOT_ONE_OF', { values: ['NONE', 'BASIC', 'SIGNATURE'] }],
        ['events', 'ITEM_TOO_LONG', { max: 64 }],
        ['maxInFlight', 'TOO_SMALL', { min: 1 }],
        ['colour', 'UNKNOWN_FIELD', undefined],
      ]),
    );
    expect(details.map((detail) => detail.code)).not.toContain(INVALID_VALUE);
  });

  it('code a username with ":" and a time that is no instant by what the decorator names', async () => {
    const basic = await detailsOf(CreateWebhookDto, {
      ...VALID_WEBHOOK,
      authentication: { type: 'BASIC', username: 'a:b', password: 'secret' },
    });
    expect(basic.map((detail) => [detail.field, detail.code])).toEqual([
      ['authentication.username', 'USERNAME_CHARACTERS'],
    ]);
    const replay = await detailsOf(ReplayDto, { from: 'yesterday', to: 0 });
    expect(replay.map((detail) => [detail.field, detail.code])).toEqual([['from', 'NOT_AN_INSTANT']]);
  });

  it('code the refusals of the pipe itself', async () => {
    const codes = async (body: unknown): Promise<ValidationDetailCode[]> =>
      (await detailsOf(CreateWebhookDto, body)).map((detail) => detail.code as ValidationDetailCode);
    expect(await codes([1])).toEqual(['NOT_AN_OBJECT']);
    expect(await codes({ ...VALID_WEBHOOK, name: '\ud800' })).toEqual(['MALFORMED_UNICODE']);
    expect(await codes(JSON.parse('{"__proto__": {}}'))).toEqual(['FORBIDDEN_PROPERTY_NAME']);
  });
});
