import { serializeEnvelope, type EnvelopeEvent } from './delivery-envelope';
import { buildDeliveryHeaders, type DeliveryAuth } from './delivery-headers';
import type { SendRequest } from './webhook-http-sender';

/** A signing secret in clear with its expiry: null = current; a rotated-out one signs until it expires. */
export interface SigningSecretEntry {
  secret: string;
  expiresAt: Date | null;
}

/** How a webhook authenticates to its listener, credentials in clear (held in memory only, never logged). */
export interface WebhookCredentials {
  authType: 'NONE' | 'BASIC' | 'SIGNATURE';
  basicUsername: string | null;
  basicPassword: string | null;
  secrets: readonly SigningSecretEntry[];
}

export interface WebhookRequestInput {
  /** The `webhook-id` header: the delivery id (stable across retries) or a test-send's fresh id. */
  messageId: string;
  url: string;
  accountId: number;
  events: readonly EnvelopeEvent[];
  credentials: WebhookCredentials;
  /** When the request is sent: the timestamp signed, and the instant secrets are judged expired at. */
  now: Date;
  userAgent: string;
}

/**
 * "A signed, authenticated request for this webhook", the one way to build it: the dispatcher's
 * deliveries and the admin API's test-send send the same bytes, headers and signature.
 */
export function buildWebhookRequest(input: WebhookRequestInput): SendRequest {
  const body = serializeEnvelope(input.accountId, input.events);
  const headers = buildDeliveryHeaders({
    webhookId: input.messageId,
    timestampSeconds: Math.floor(input.now.getTime() / 1000),
    body,
    auth: deliveryAuthFor(input.credentials, input.now),
    userAgent: input.userAgent,
  });
  return { url: input.url, body, headers };
}

/**
 * The request with its attempt's trace context headers (`traceparent`, `tracestate`) added after it
 * was signed: the signature covers the id, timestamp and body only, and a trace header never replaces
 * one of the request's own.
 */
export function withTraceHeaders(
  request: SendRequest,
  traceHeaders: Readonly<Record<string, string>>,
): SendRequest {
  return { ...request, headers: { ...traceHeaders, ...request.headers } };
}

/**
 * The auth of one request. Secrets are filtered by expiry at send time, not when they were loaded
 * (a cached webhook outlives a rotation overlap); the signer refuses more than two. A BASIC webhook
 * stores a password (the commands require one), so a missing one is sent as empty, never skipped.
 */
export function deliveryAuthFor(credentials: WebhookCredentials, now: Date): DeliveryAuth {
  switch (credentials.authType) {
    case 'NONE':
      return { type: 'NONE' };
    case 'BASIC':
      return {
        type: 'BASIC',
        username: credentials.basicUsername ?? '',
        password: credentials.basicPassword ?? '',
      };
    case 'SIGNATURE':
      return {
        type: 'SIGNATURE',
        secrets: credentials.secrets
          .filter((entry) => entry.expiresAt === null || entry.expiresAt > now)
          .map((entry) => entry.secret),
      };
  }
}
