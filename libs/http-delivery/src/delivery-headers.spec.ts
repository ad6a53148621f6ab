import { Webhook } from 'standardwebhooks';
import { buildDeliveryHeaders, DEFAULT_USER_AGENT } from './delivery-headers';
import { generateSigningSecret } from './standard-webhooks-signer';

describe('buildDeliveryHeaders', () => {
  const body = Buffer.from('{"accountId":1,"events":[]}');
  const base = { webhookId: 'dlv-1', timestampSeconds: Math.floor(Date.now() / 1000), body };

  it('sets the Standard Webhooks headers and no auth for NONE', () => {
    expect(buildDeliveryHeaders({ ...base, auth: { type: 'NONE' } })).toEqual({
      'content-type': 'application/json',
      'user-agent': DEFAULT_USER_AGENT,
      'webhook-id': 'dlv-1',
      'webhook-timestamp': String(base.timestampSeconds),
    });
  });

  it('adds Basic authorization', () => {
    const headers = buildDeliveryHeaders({ ...base, auth: { type: 'BASIC', username: 'u', password: 'p' } });
    expect(headers.authorization).toBe('Basic dTpw');
  });

  it('signs with both secrets during a rotation: either one alone verifies', () => {
    const [oldSecret, newSecret] = [generateSigningSecret(), generateSigningSecret()];
    const headers = buildDeliveryHeaders({
      ...base,
      auth: { type: 'SIGNATURE', secrets: [oldSecret, newSecret] },
    });
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(body.toString(), headers)).toEqual({ accountId: 1, events: [] });
    }
  });
});
