import { Webhook } from 'standardwebhooks';
import { serializeEnvelope } from './delivery-envelope';
import { DEFAULT_USER_AGENT } from './delivery-headers';
import { buildWebhookRequest, withTraceHeaders, type WebhookCredentials } from './signed-webhook-request';
import { generateSigningSecret } from './standard-webhooks-signer';

describe('buildWebhookRequest', () => {
  const now = new Date('2026-11-28T12:00:00.000Z');
  const events = [
    { eventId: 'e-1', eventName: 'COURSE_ENROLLMENT', timestamp: 1, eventInfo: 'i', dataJson: '{"a":2.50}' },
  ];
  const credentials = (fields: Partial<WebhookCredentials>): WebhookCredentials => ({
    authType: 'NONE',
    basicUsername: null,
    basicPassword: null,
    secrets: [],
    ...fields,
  });
  const request = (fields: Partial<WebhookCredentials>) =>
    buildWebhookRequest({
      messageId: 'msg-1',
      url: 'https://example.com/hooks',
      accountId: 7,
      events,
      credentials: credentials(fields),
      now,
      userAgent: DEFAULT_USER_AGENT,
    });
  const verifies = (secret: string, built: ReturnType<typeof request>) => {
    try {
      new Webhook(secret).verify(built.body.toString(), built.headers);
      return true;
    } catch {
      return false;
    }
  };

  it('sends the envelope bytes it signs, to the URL given, stamped with `now`', () => {
    const built = request({});
    expect(built.url).toBe('https://example.com/hooks');
    expect(built.body.equals(serializeEnvelope(7, events))).toBe(true);
    expect(built.headers).toEqual({
      'content-type': 'application/json',
      'user-agent': DEFAULT_USER_AGENT,
      'webhook-id': 'msg-1',
      'webhook-timestamp': String(now.getTime() / 1000),
    });
  });

  it('adds Basic credentials (a missing stored password is sent empty)', () => {
    expect(request({ authType: 'BASIC', basicUsername: 'u', basicPassword: 'p' }).headers.authorization).toBe(
      'Basic dTpw',
    );
    expect(
      request({ authType: 'BASIC', basicUsername: 'u', basicPassword: null }).headers.authorization,
    ).toBe(`Basic ${Buffer.from('u:').toString('base64')}`);
  });

  it('signs with the secrets unexpired at `now`: during a rotation both verify, an expired one does not sign', () => {
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const [expired, previous, current] = [
        generateSigningSecret(),
        generateSigningSecret(),
        generateSigningSecret(),
      ];
      const built = request({
        authType: 'SIGNATURE',
        secrets: [
          { secret: expired, expiresAt: new Date(now.getTime()) },
          { secret: previous, expiresAt: new Date(now.getTime() + 1000) },
          { secret: current, expiresAt: null },
        ],
      });
      expect(built.headers.authorization).toBeUndefined();
      expect(built.headers['webhook-signature'].split(' ')).toHaveLength(2);
      expect([expired, previous, current].map((secret) => verifies(secret, built))).toEqual([
        false,
        true,
        true,
      ]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses to sign with more than two live secrets', () => {
    const secrets = [1, 2, 3].map(() => ({ secret: generateSigningSecret(), expiresAt: null }));
    expect(() => request({ authType: 'SIGNATURE', secrets })).toThrow(RangeError);
  });

  it('adds trace headers after signing: the signature still verifies, and none of its own headers is replaced', () => {
    const secret = generateSigningSecret();
    const signed = request({ authType: 'SIGNATURE', secrets: [{ secret, expiresAt: null }] });
    const traced = withTraceHeaders(signed, {
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'lms=p1',
      'webhook-id': 'forged',
    });
    expect(traced.headers).toEqual({
      ...signed.headers,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      tracestate: 'lms=p1',
    });
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate'] }); // the verifier's clock
    try {
      expect(verifies(secret, traced)).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });
});
