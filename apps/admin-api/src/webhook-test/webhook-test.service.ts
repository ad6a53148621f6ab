import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  buildDeliveryHeaders,
  generateSigningSecret,
  serializeEnvelope,
  WebhookHttpSender,
  type DeliveryAuth,
} from '@lms/http-delivery';
import { buildExampleEvent, isEventName } from '@lms/payload-schemas';
import {
  assertKnownEvents,
  DomainError,
  DomainErrorCode,
  SecretCipher,
  TargetUrlPolicy,
  WebhookManagementService,
  WebhookSignatureService,
  type WebhookAuthenticationInput,
} from '@lms/webhook-domain';

export interface WebhookTestResult {
  delivered: boolean;
  statusCode: number | null;
  durationMs: number;
  /** First KiB of what the listener answered. */
  responseBody: string;
  error: string | null;
  eventName: string;
  /** The `webhook-id` header sent (a fresh id: a test is not a delivery). */
  messageId: string;
  /** Unsaved SIGNATURE webhooks only: the throwaway secret the test was signed with. */
  signingSecret?: string;
}

/**
 * "Test webhook": sends the catalogue example of one event now, through the dispatcher's sender, with
 * the same headers, auth and signature a real delivery gets. It records nothing: no delivery row, no
 * attempt, no effect on auto-disable.
 */
@Injectable()
export class WebhookTestService {
  constructor(
    private readonly sender: WebhookHttpSender,
    private readonly webhooks: WebhookManagementService,
    private readonly signatures: WebhookSignatureService,
    private readonly targets: TargetUrlPolicy,
    private readonly cipher: SecretCipher,
  ) {}

  async testSaved(
    accountId: number,
    webhookId: string,
    eventName: string | undefined,
  ): Promise<WebhookTestResult> {
    const webhook = await this.webhooks.requireLive(accountId, webhookId);
    const chosen = chooseEvent(webhook.events, eventName);
    // The rules may have changed since the URL was saved (or the host's DNS has).
    const targetUrl = (await this.targets.assertAllowed(webhook.targetUrl)).href;
    let auth: DeliveryAuth;
    switch (webhook.authType) {
      case 'NONE':
        auth = { type: 'NONE' };
        break;
      case 'BASIC':
        auth = {
          type: 'BASIC',
          username: webhook.basicUsername ?? '',
          password: webhook.basicPasswordEnc === null ? '' : this.cipher.decrypt(webhook.basicPasswordEnc),
        };
        break;
      case 'SIGNATURE':
        auth = { type: 'SIGNATURE', secrets: await this.signatures.currentSecrets(webhook.id) };
        break;
    }
    return this.send(accountId, targetUrl, chosen, auth);
  }

  async testUnsaved(
    accountId: number,
    webhook: { targetUrl: string; authentication: WebhookAuthenticationInput; events: string[] },
    eventName: string | undefined,
  ): Promise<WebhookTestResult> {
    assertKnownEvents(webhook.events);
    const chosen = chooseEvent(webhook.events, eventName);
    // Sent to the serialised URL, as it would be stored: the raw text may read differently.
    const targetUrl = (await this.targets.assertAllowed(webhook.targetUrl)).href;
    const authentication = webhook.authentication;
    switch (authentication.type) {
      case 'NONE':
        return this.send(accountId, targetUrl, chosen, { type: 'NONE' });
      case 'BASIC':
        if (authentication.password === undefined) {
          throw new DomainError(
            DomainErrorCode.VALIDATION_FAILED,
            'authentication.password is required for BASIC authentication',
            [{ field: 'authentication.password', message: 'is required for BASIC authentication' }],
          );
        }
        return this.send(accountId, targetUrl, chosen, {
          type: 'BASIC',
          username: authentication.username,
          password: authentication.password,
        });
      case 'SIGNATURE': {
        // Nothing is saved, so there is no secret yet: sign with a throwaway one and hand it back.
        const secret = generateSigningSecret();
        return {
          ...(await this.send(accountId, targetUrl, chosen, {
            type: 'SIGNATURE',
            secrets: [secret],
          })),
          signingSecret: secret,
        };
      }
    }
  }

  private async send(
    accountId: number,
    targetUrl: string,
    eventName: string,
    auth: DeliveryAuth,
  ): Promise<WebhookTestResult> {
    if (!isEventName(eventName)) throw unknownEvent(eventName);
    const event = buildExampleEvent(eventName, { accountId });
    const body = serializeEnvelope(accountId, [
      {
        eventId: event.eventId,
        eventName: event.eventName,
        timestamp: event.timestamp,
        eventInfo: event.eventInfo,
        dataJson: JSON.stringify(event.data),
      },
    ]);
    const messageId = randomUUID();
    const headers = buildDeliveryHeaders({
      webhookId: messageId,
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
      auth,
      userAgent: this.sender.userAgent,
    });
    const outcome = await this.sender.send({ url: targetUrl, body, headers });
    return {
      delivered:
        outcome.error === null &&
        outcome.statusCode !== null &&
        outcome.statusCode >= 200 &&
        outcome.statusCode < 300,
      statusCode: outcome.statusCode,
      durationMs: outcome.durationMs,
      responseBody: outcome.responseSnippet,
      error: outcome.error,
      eventName,
      messageId,
    };
  }
}

function chooseEvent(subscribed: readonly string[], requested: string | undefined): string {
  if (requested === undefined) {
    const first = subscribed[0];
    if (first === undefined)
      throw new DomainError(DomainErrorCode.VALIDATION_FAILED, 'The webhook subscribes to no event');
    return first;
  }
  if (!isEventName(requested)) throw unknownEvent(requested);
  if (!subscribed.includes(requested)) {
    throw new DomainError(
      DomainErrorCode.EVENT_NOT_SUBSCRIBED,
      `The webhook does not subscribe to ${requested}`,
      [{ field: 'eventName', message: `must be one of the webhook's events: ${subscribed.join(', ')}` }],
    );
  }
  return requested;
}

function unknownEvent(name: string): DomainError {
  return new DomainError(DomainErrorCode.UNKNOWN_EVENT_TYPE, `Unknown event type: ${name}`, [
    { field: 'eventName', message: `"${name}" is not an event type` },
  ]);
}
