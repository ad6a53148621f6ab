import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  buildWebhookRequest,
  generateSigningSecret,
  WebhookHttpSender,
  type WebhookCredentials,
} from '@lms/http-delivery';
import { buildExampleEvent, isEventName } from '@lms/payload-schemas';
import { DomainError } from '../errors/domain-error';
import { TargetUrlPolicy } from './target-url-policy';
import type { TestSavedWebhookCommand, TestUnsavedWebhookCommand } from './webhook-commands';
import { WebhookCredentialsReader } from './webhook-credentials-reader';
import { WebhookManagementService } from './webhook-management.service';

export interface TestSendResult {
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
 * "Test webhook": sends the catalogue example of one event now, through the dispatcher's sender and
 * its request builder, so the headers, auth and signature are those of a real delivery. It records
 * nothing: no delivery row, no attempt, no effect on auto-disable.
 */
@Injectable()
export class TestSendUseCase {
  constructor(
    private readonly sender: WebhookHttpSender,
    private readonly webhooks: WebhookManagementService,
    private readonly targets: TargetUrlPolicy,
    private readonly credentials: WebhookCredentialsReader,
  ) {}

  async sendToSaved(command: TestSavedWebhookCommand): Promise<TestSendResult> {
    const accountId = command.actor.accountId;
    const webhook = await this.webhooks.requireLive(accountId, command.webhookId);
    const chosen = chooseEvent(webhook.events, command.eventName);
    // The rules may have changed since the URL was saved (or the host's DNS has).
    const targetUrl = (await this.targets.assertAllowed(webhook.targetUrl)).href;
    return this.send(accountId, targetUrl, chosen, await this.credentials.read(webhook));
  }

  async sendToUnsaved(command: TestUnsavedWebhookCommand): Promise<TestSendResult> {
    const accountId = command.actor.accountId;
    const chosen = chooseEvent(command.events, command.eventName);
    const authentication = command.authentication;
    // Sent to the serialised URL, as it would be stored: the raw text may read differently.
    const targetUrl = (await this.targets.assertAllowed(command.targetUrl)).href;
    const none = { basicUsername: null, basicPassword: null, secrets: [] };
    switch (authentication.type) {
      case 'NONE':
        return this.send(accountId, targetUrl, chosen, { ...none, authType: 'NONE' });
      case 'BASIC':
        return this.send(accountId, targetUrl, chosen, {
          ...none,
          authType: 'BASIC',
          basicUsername: authentication.username,
          basicPassword: authentication.password ?? null,
        });
      case 'SIGNATURE': {
        // Nothing is saved, so there is no secret yet: sign with a throwaway one and hand it back.
        const secret = generateSigningSecret();
        const result = await this.send(accountId, targetUrl, chosen, {
          ...none,
          authType: 'SIGNATURE',
          secrets: [{ secret, expiresAt: null }],
        });
        return { ...result, signingSecret: secret };
      }
    }
  }

  private async send(
    accountId: number,
    targetUrl: string,
    eventName: string,
    credentials: WebhookCredentials,
  ): Promise<TestSendResult> {
    if (!isEventName(eventName))
      throw DomainError.unknownEventTypes([{ name: eventName, field: 'eventName' }]);
    const event = buildExampleEvent(eventName, { accountId });
    const messageId = randomUUID();
    const outcome = await this.sender.send(
      buildWebhookRequest({
        messageId,
        url: targetUrl,
        accountId,
        events: [
          {
            eventId: event.eventId,
            eventName: event.eventName,
            timestamp: event.timestamp,
            eventInfo: event.eventInfo,
            dataJson: JSON.stringify(event.data),
          },
        ],
        credentials,
        now: new Date(),
        userAgent: this.sender.userAgent,
      }),
    );
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

/** The requested event, or the webhook's first; it must be a catalogue event the webhook subscribes to. */
function chooseEvent(subscribed: readonly string[], requested: string | undefined): string {
  if (requested === undefined) {
    const first = subscribed[0];
    if (first === undefined) throw DomainError.invalid('The webhook subscribes to no event');
    return first;
  }
  if (!isEventName(requested)) throw DomainError.unknownEventTypes([{ name: requested, field: 'eventName' }]);
  if (!subscribed.includes(requested)) throw DomainError.eventNotSubscribed(requested, subscribed);
  return requested;
}
