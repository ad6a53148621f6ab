import { createHmac, randomBytes } from 'node:crypto';

const SECRET_PREFIX = 'whsec_';
/** The current secret and, during a rotation overlap, the previous one (DESIGN.md invariant 7). */
export const MAX_LIVE_SIGNING_SECRETS = 2;

/** A new signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

function secretKey(secret: string): Buffer {
  return Buffer.from(
    secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
    'base64',
  );
}

/**
 * `webhook-signature` per the Standard Webhooks spec: `v1,<base64 HMAC-SHA256("id.timestamp.body")>`,
 * one per secret, space-separated, so during a rotation a receiver holding either secret verifies.
 * The body is the exact bytes sent; signing anything else would make receivers reject us.
 */
export function signStandardWebhook(
  secrets: readonly string[],
  webhookId: string,
  timestampSeconds: number,
  body: Buffer,
): string {
  // More would mean the rotation rule was broken somewhere; a header that grows with every rotation
  // ends with receivers answering 431, so refuse loudly rather than send it.
  if (secrets.length > MAX_LIVE_SIGNING_SECRETS) {
    throw new RangeError(
      `a webhook signs with at most ${MAX_LIVE_SIGNING_SECRETS} secrets; got ${secrets.length}`,
    );
  }
  const prefix = Buffer.from(`${webhookId}.${timestampSeconds}.`);
  return secrets
    .map(
      (secret) =>
        `v1,${createHmac('sha256', secretKey(secret)).update(prefix).update(body).digest('base64')}`,
    )
    .join(' ');
}
