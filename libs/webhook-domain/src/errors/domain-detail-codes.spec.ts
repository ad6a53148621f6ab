import { parseTargetUrl, TargetUrlPolicy } from '../webhooks/target-url-policy';
import {
  CreateWebhookCommand,
  DeleteWebhookCommand,
  requirePasswordForNewOrigin,
  TestUnsavedWebhookCommand,
  UpdateWebhookCommand,
} from '../webhooks/webhook-commands';
import { normalizeWebhookName } from '../webhooks/webhook-name';
import {
  DOMAIN_DETAIL_CODES,
  DomainError,
  DomainErrorCode,
  type DomainErrorDetail,
  TARGET_URL_REFUSALS,
} from './domain-error';

/** The error a rule raises, sync or async; fails the test when nothing (or something else) is thrown. */
async function refusalOf(work: () => unknown): Promise<DomainError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('the rule accepted the value');
}

async function detailOf(work: () => unknown): Promise<DomainErrorDetail> {
  const { details } = await refusalOf(work);
  expect(details).toHaveLength(1);
  return details[0];
}

describe("the domain's detail codes", () => {
  const actor = { accountId: 1010, sub: 'alice' };
  const strict = { allowPrivateTargets: false, allowHttpTargets: false };
  const create = {
    actor,
    name: 'HR sync',
    targetUrl: 'https://hr.example.org/hooks',
    authentication: { type: 'NONE' as const },
    events: ['COURSE_ENROLLMENT'],
  };
  // Every reason a test below raises, so the last test can require each one is raised by some rule.
  const raised = new Set<string>();

  it.each([
    ['ftp://hr.example.org/hooks', 'SCHEME_NOT_HTTP'],
    ['javascript:alert(1)', 'SCHEME_NOT_HTTP'],
    ['hooks/lms', 'NOT_AN_ABSOLUTE_URL'],
    ['https://lms:secret@hr.example.org/hooks', 'CREDENTIALS_IN_URL'],
    ['https://hr.example.org:0/hooks', 'PORT_ZERO'],
    ['file:///etc/passwd', 'SCHEME_NOT_HTTP'],
  ])('the URL syntax refuses %s as TARGET_URL_NOT_ALLOWED, reason %s (a 400)', async (url, reason) => {
    const error = await refusalOf(() => parseTargetUrl(url, strict));
    expect(error.code).toBe(DomainErrorCode.VALIDATION_FAILED);
    expect(error.details).toEqual([
      { field: 'targetUrl', message: expect.any(String), code: 'TARGET_URL_NOT_ALLOWED', params: { reason } },
    ]);
    raised.add(reason);
  });

  it('refuses a URL that grows past the limit once serialised, naming the limit', async () => {
    // Each space in the path becomes %20: 2,040 characters typed, more than 2,048 stored.
    const url = `https://h.example/${' x'.repeat(1011)}`;
    expect(url.length).toBeLessThanOrEqual(2048);
    expect(await detailOf(() => parseTargetUrl(url, strict))).toMatchObject({
      code: 'TARGET_URL_NOT_ALLOWED',
      params: { reason: 'TOO_LONG_ONCE_SERIALISED', max: 2048 },
    });
    raised.add('TOO_LONG_ONCE_SERIALISED');
  });

  it('codes the rules the request validation also has with its codes (one rule, one code)', async () => {
    expect(await detailOf(() => parseTargetUrl('https://h.example/\t', strict))).toMatchObject({
      code: 'CONTROL_CHARACTERS',
    });
    expect(await detailOf(() => parseTargetUrl(`https://h.example/${'x'.repeat(2048)}`, strict))).toEqual(
      expect.objectContaining({ code: 'FIELD_TOO_LONG', params: { max: 2048 } }),
    );
    expect(await detailOf(() => normalizeWebhookName('   '))).toMatchObject({ code: 'FIELD_BLANK' });
    expect(await detailOf(() => normalizeWebhookName('a'.repeat(101)))).toEqual(
      expect.objectContaining({ field: 'name', code: 'FIELD_TOO_LONG', params: { max: 100 } }),
    );
    expect(await detailOf(() => CreateWebhookCommand.create({ ...create, events: [] }))).toMatchObject({
      field: 'events',
      code: 'ARRAY_EMPTY',
    });
    expect(await detailOf(() => UpdateWebhookCommand.create({ actor, webhookId: 'w-1' }))).toMatchObject({
      field: '(body)',
      code: 'EMPTY_OBJECT',
    });
  });

  it('refuses plain http where only https is allowed as TARGET_NOT_ALLOWED, reason HTTP_NOT_ALLOWED (a 422)', async () => {
    const error = await refusalOf(() => parseTargetUrl('http://hr.example.org/hooks', strict));
    expect(error.code).toBe(DomainErrorCode.TARGET_NOT_ALLOWED);
    expect(error.details).toEqual([
      expect.objectContaining({ code: 'TARGET_URL_NOT_ALLOWED', params: { reason: 'HTTP_NOT_ALLOWED' } }),
    ]);
    raised.add('HTTP_NOT_ALLOWED');
  });

  it('refuses a host that does not resolve, or resolves to a non-public address, naming the host', async () => {
    const policy = new TargetUrlPolicy(strict, async (host) => {
      if (host === 'internal.example.org') return ['10.0.0.5'];
      throw new Error(`ENOTFOUND ${host}`);
    });
    const nowhere = await refusalOf(() => policy.assertAllowed('https://nowhere.example.org/'));
    expect(nowhere.code).toBe(DomainErrorCode.TARGET_NOT_ALLOWED);
    expect(nowhere.details).toEqual([
      expect.objectContaining({
        code: 'TARGET_URL_NOT_ALLOWED',
        params: { reason: 'HOST_DOES_NOT_RESOLVE', host: 'nowhere.example.org' },
      }),
    ]);
    expect(await detailOf(() => policy.assertAllowed('https://internal.example.org/'))).toMatchObject({
      code: 'TARGET_URL_NOT_ALLOWED',
      params: { reason: 'NON_PUBLIC_ADDRESS', host: 'internal.example.org' },
    });
    expect(await detailOf(() => policy.assertAllowed('https://127.0.0.1/'))).toMatchObject({
      params: { reason: 'NON_PUBLIC_ADDRESS', host: '127.0.0.1' },
    });
    raised.add('HOST_DOES_NOT_RESOLVE').add('NON_PUBLIC_ADDRESS');
  });

  it.each(['HR\u200bsync', 'HR\u202esync', 'HR\u0007sync', '\u00adHR'])(
    'refuses the name %j as NAME_INVISIBLE_CHARACTERS',
    async (name) => {
      expect(await detailOf(() => normalizeWebhookName(name))).toEqual({
        field: 'name',
        message: expect.any(String),
        code: 'NAME_INVISIBLE_CHARACTERS',
      });
      expect(await detailOf(() => CreateWebhookCommand.create({ ...create, name }))).toMatchObject({
        code: 'NAME_INVISIBLE_CHARACTERS',
      });
    },
  );

  it('refuses BASIC without a password on create and on a test of an unsaved webhook as PASSWORD_REQUIRED_FOR_BASIC', async () => {
    const authentication = { type: 'BASIC' as const, username: 'lms' };
    for (const build of [
      () => CreateWebhookCommand.create({ ...create, authentication }),
      () => TestUnsavedWebhookCommand.create({ ...create, authentication, eventName: 'COURSE_ENROLLMENT' }),
    ])
      expect(await detailOf(build)).toEqual({
        field: 'authentication.password',
        message: 'is required for BASIC authentication',
        code: 'PASSWORD_REQUIRED_FOR_BASIC',
      });
  });

  it('refuses a move to another origin without the password as PASSWORD_REQUIRED_FOR_NEW_ORIGIN, naming both origins', async () => {
    expect(
      await detailOf(() =>
        requirePasswordForNewOrigin(
          'https://hr.example.org/a',
          'https://other.example.net:8443/a',
          undefined,
        ),
      ),
    ).toMatchObject({
      field: 'authentication.password',
      code: 'PASSWORD_REQUIRED_FOR_NEW_ORIGIN',
      params: { origin: 'https://other.example.net:8443', previousOrigin: 'https://hr.example.org' },
    });
  });

  it.each([
    [{ rateLimitPerSecond: 0 }, 'rateLimitPerSecond', { min: 1, max: 10_000 }],
    [{ maxInFlight: 51 }, 'maxInFlight', { min: 1, max: 50 }],
    [{ maxEventsPerRequest: 1.5 }, 'maxEventsPerRequest', { min: 1, max: 1000 }],
  ])('refuses %j as INTEGER_OUT_OF_RANGE with its bounds', async (fields, field, params) => {
    expect(await detailOf(() => CreateWebhookCommand.create({ ...create, ...fields }))).toEqual({
      field,
      message: expect.any(String),
      code: 'INTEGER_OUT_OF_RANGE',
      params,
    });
  });

  it('refuses an empty id as FIELD_REQUIRED', async () => {
    expect(await detailOf(() => DeleteWebhookCommand.create({ actor, webhookId: '' }))).toEqual({
      field: 'webhookId',
      message: 'is required',
      code: 'FIELD_REQUIRED',
    });
  });

  it('has every code and every target URL reason raised by some rule above (no dead code)', () => {
    expect([...raised].sort()).toEqual([...TARGET_URL_REFUSALS].sort());
    expect(DOMAIN_DETAIL_CODES).toEqual([
      'TARGET_URL_NOT_ALLOWED',
      'NAME_INVISIBLE_CHARACTERS',
      'PASSWORD_REQUIRED_FOR_BASIC',
      'PASSWORD_REQUIRED_FOR_NEW_ORIGIN',
      'INTEGER_OUT_OF_RANGE',
      'FIELD_REQUIRED',
    ]);
  });
});
