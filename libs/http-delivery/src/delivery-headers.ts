import { signStandardWebhook } from './standard-webhooks-signer';

/** Bumped with the package version; receivers see it in `user-agent`. */
export const LMS_WEBHOOKS_VERSION = '0.1.0';
export const DEFAULT_USER_AGENT = `lms-webhooks/${LMS_WEBHOOKS_VERSION}`;

export type DeliveryAuth =
  | { type: 'NONE' }
  | { type: 'BASIC'; username: string; password: string }
  /** Every unexpired secret: during a rotation overlap both sign, so either verifies. */
  | { type: 'SIGNATURE'; secrets: string[] };

export interface DeliveryHeadersInput {
  /** The delivery id: stable across retries, so receivers can drop a repeat. */
  webhookId: string;
  timestampSeconds: number;
  body: Buffer;
  auth: DeliveryAuth;
  userAgent?: string;
}

/** The headers of one attempt, per the Standard Webhooks spec (plus Basic auth when configured). */
export function buildDeliveryHeaders(input: DeliveryHeadersInput): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': input.userAgent ?? DEFAULT_USER_AGENT,
    'webhook-id': input.webhookId,
    'webhook-timestamp': String(input.timestampSeconds),
  };
  switch (input.auth.type) {
    case 'NONE':
      break;
    case 'BASIC':
      headers.authorization = `Basic ${Buffer.from(`${input.auth.username}:${input.auth.password}`).toString('base64')}`;
      break;
    case 'SIGNATURE':
      headers['webhook-signature'] = signStandardWebhook(
        input.auth.secrets,
        input.webhookId,
        input.timestampSeconds,
        input.body,
      );
      break;
  }
  return headers;
}
