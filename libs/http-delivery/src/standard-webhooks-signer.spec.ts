import { Webhook } from 'standardwebhooks';
import { generateSigningSecret, signStandardWebhook } from './standard-webhooks-signer';

describe('signStandardWebhook', () => {
  const body = Buffer.from('{"accountId":1010,"events":[]}');
  const now = () => Math.floor(Date.now() / 1000);

  function headers(signature: string, timestamp: number) {
    return { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
  }

  it('produces a signature the stock standardwebhooks library accepts', () => {
    const secret = generateSigningSecret();
    const timestamp = now();
    const signature = signStandardWebhook([secret], 'msg_1', timestamp, body);
    expect(new Webhook(secret).verify(body.toString(), headers(signature, timestamp))).toEqual(
      JSON.parse(body.toString()),
    );
  });

  it('refuses to sign with more than two secrets (current and previous): the header must not grow', () => {
    const secrets = [generateSigningSecret(), generateSigningSecret(), generateSigningSecret()];
    expect(() => signStandardWebhook(secrets, 'msg_1', now(), body)).toThrow(RangeError);
  });

  it('signs with every secret during a rotation, and either one verifies', () => {
    const [oldSecret, newSecret] = [generateSigningSecret(), generateSigningSecret()];
    const timestamp = now();
    const signature = signStandardWebhook([oldSecret, newSecret], 'msg_1', timestamp, body);
    expect(signature.split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(() => new Webhook(secret).verify(body.toString(), headers(signature, timestamp))).not.toThrow();
    }
    expect(() =>
      new Webhook(generateSigningSecret()).verify(body.toString(), headers(signature, timestamp)),
    ).toThrow();
  });

  it('does not verify an altered body', () => {
    const secret = generateSigningSecret();
    const timestamp = now();
    const signature = signStandardWebhook([secret], 'msg_1', timestamp, body);
    expect(() =>
      new Webhook(secret).verify(body.toString().replace('1010', '1011'), headers(signature, timestamp)),
    ).toThrow();
  });

  it('generates distinct whsec_ secrets of 32 bytes', () => {
    const secret = generateSigningSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(generateSigningSecret()).not.toBe(secret);
  });
});
