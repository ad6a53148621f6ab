import { DomainError } from '../errors/domain-error';
import {
  DeleteWebhookCommand,
  requirePasswordForNewOrigin,
  RotateSigningSecretCommand,
  TestSavedWebhookCommand,
  TestUnsavedWebhookCommand,
} from './webhook-commands';

describe('requirePasswordForNewOrigin', () => {
  const saved = 'https://hr.example.org/hooks/lms';

  function refusal(next: string, authentication?: Parameters<typeof requirePasswordForNewOrigin>[2]) {
    try {
      requirePasswordForNewOrigin(saved, next, authentication);
      return undefined;
    } catch (error) {
      return error instanceof DomainError ? error.details : error;
    }
  }

  it.each([
    ['another host', 'https://attacker.example.net/hooks/lms'],
    ['another port', 'https://hr.example.org:8443/hooks/lms'],
    ['another scheme', 'http://hr.example.org/hooks/lms'],
  ])('needs the password again for %s, naming authentication.password', (_label, next) => {
    expect(refusal(next)).toEqual([expect.objectContaining({ field: 'authentication.password' })]);
    expect(refusal(next, { type: 'BASIC', username: 'lms' })).toEqual([
      expect.objectContaining({ field: 'authentication.password' }),
    ]);
    expect(refusal(next, { type: 'BASIC', username: 'lms', password: 'given again' })).toBeUndefined();
  });

  it('keeps the stored password within the origin (path, query, default port spelled out)', () => {
    expect(refusal('https://hr.example.org/other/path?x=1')).toBeUndefined();
    expect(refusal('https://hr.example.org:443/hooks/lms')).toBeUndefined();
  });
});

describe('the commands of one webhook action', () => {
  const actor = { accountId: 1010, sub: 'alice' };

  function refusal(build: () => unknown): unknown {
    try {
      build();
      return undefined;
    } catch (error) {
      return error instanceof DomainError ? error.details : (error as Error).message;
    }
  }

  it.each([
    ['DeleteWebhookCommand', DeleteWebhookCommand.create.bind(DeleteWebhookCommand)],
    ['RotateSigningSecretCommand', RotateSigningSecretCommand.create.bind(RotateSigningSecretCommand)],
    ['TestSavedWebhookCommand', TestSavedWebhookCommand.create.bind(TestSavedWebhookCommand)],
  ])('%s holds the actor and webhook, and needs both', (_name, create) => {
    expect(create({ actor, webhookId: 'w-1' })).toMatchObject({ actor, webhookId: 'w-1' });
    expect(refusal(() => create({ actor: { accountId: -1, sub: 'alice' }, webhookId: 'w-1' }))).toMatch(
      /verified actor/,
    );
    expect(refusal(() => create({ actor, webhookId: '' }))).toEqual([
      expect.objectContaining({ field: 'webhookId' }),
    ]);
  });

  it('TestUnsavedWebhookCommand refuses unknown events and BASIC without a password before anything is sent', () => {
    const unsaved = {
      actor,
      targetUrl: 'https://hr.example.org/hooks',
      authentication: { type: 'NONE' as const },
      events: ['COURSE_ENROLLMENT'],
    };
    expect(TestUnsavedWebhookCommand.create({ ...unsaved, eventName: 'COURSE_ENROLLMENT' })).toMatchObject({
      events: ['COURSE_ENROLLMENT'],
      eventName: 'COURSE_ENROLLMENT',
    });
    expect(
      refusal(() => TestUnsavedWebhookCommand.create({ ...unsaved, events: ['NO_SUCH_EVENT'] })),
    ).toEqual([expect.objectContaining({ field: 'events[0]' })]);
    expect(refusal(() => TestUnsavedWebhookCommand.create({ ...unsaved, events: [] }))).toEqual([
      expect.objectContaining({ field: 'events' }),
    ]);
    expect(
      refusal(() =>
        TestUnsavedWebhookCommand.create({ ...unsaved, authentication: { type: 'BASIC', username: 'lms' } }),
      ),
    ).toEqual([expect.objectContaining({ field: 'authentication.password' })]);
  });
});
