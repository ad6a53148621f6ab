import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generateSigningSecret } from '@lms/http-delivery';
import { EntityManager } from 'typeorm';
import { SecretCipher } from '../crypto/secret-cipher';
import type { AuditLogEntry, Webhook } from '../entities';
import { DomainError } from '../errors/domain-error';
import { LaneReadModel } from '../lanes/lane-read-model';
import { TargetUrlPolicy } from './target-url-policy';
import {
  MAX_EVENTS_PER_REQUEST,
  MAX_IN_FLIGHT,
  requireBasicPassword,
  requirePasswordForNewOrigin,
  type AdminActor,
  type CreateWebhookCommand,
  type DeleteWebhookCommand,
  type UpdateWebhookCommand,
  type WebhookAuthenticationInput,
} from './webhook-commands';
import { assignFields, changedFields, type FieldChanges } from './webhook-field-diff';
import { WebhookLifecycle } from './webhook-lifecycle';
import { WEBHOOK_MANAGEMENT_OPTIONS, type WebhookManagementOptions } from './webhook-management-options';
import { WebhookRepository } from './webhook.repository';
import { toWebhookView, type WebhookDetailView, type WebhookList, type WebhookView } from './webhook-view';

const UNIQUE_VIOLATION = '23505';
const AUDIT_TRAIL_LIMIT = 500;

/**
 * Every admin action on a webhook, one method each, each in one transaction with its audit row. The
 * account always comes from the actor (the token): another account's webhook is simply not found.
 */
@Injectable()
export class WebhookManagementService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly lanes: LaneReadModel,
    private readonly targets: TargetUrlPolicy,
    private readonly cipher: SecretCipher,
    private readonly lifecycle: WebhookLifecycle,
    @Inject(WEBHOOK_MANAGEMENT_OPTIONS) private readonly options: WebhookManagementOptions,
  ) {}

  /**
   * The account's webhooks with their lanes (one lane query for all of them, so a list page costs one
   * request), and how many webhooks the account may have (MAX_WEBHOOKS_PER_ACCOUNT).
   */
  async list(accountId: number): Promise<WebhookList> {
    const webhooks = await this.webhooks.listForAccount(accountId);
    const lanes = await this.lanes.laneViews(
      accountId,
      webhooks.map((webhook) => webhook.id),
    );
    return {
      webhooks: webhooks.map((webhook) => ({
        ...toWebhookView(webhook),
        lanes: lanes.get(webhook.id) ?? [],
      })),
      maxWebhooksPerAccount: this.options.maxWebhooksPerAccount,
    };
  }

  /** The webhook and its lanes. Read one after the other, not in one snapshot: the lanes move anyway. */
  async get(accountId: number, webhookId: string): Promise<WebhookDetailView> {
    const webhook = await this.requireLive(accountId, webhookId);
    const lanes = await this.lanes.laneViews(accountId, [webhook.id]);
    return { ...toWebhookView(webhook), lanes: lanes.get(webhook.id) ?? [] };
  }

  /** The webhook entity itself (for the test sender and signature service): internal, not for responses. */
  async requireLive(accountId: number, webhookId: string): Promise<Webhook> {
    const webhook = await this.webhooks.findLive(accountId, webhookId);
    if (!webhook) throw DomainError.webhookNotFound(webhookId);
    return webhook;
  }

  async create(command: CreateWebhookCommand): Promise<WebhookView> {
    const { actor, name } = command;
    const targetUrl = (await this.targets.assertAllowed(command.targetUrl)).href;
    const now = new Date();
    const webhook: Webhook = {
      id: randomUUID(),
      accountId: actor.accountId,
      name,
      description: command.description ?? null,
      targetUrl,
      authType: command.authentication.type,
      basicUsername: null,
      basicPasswordEnc: null,
      events: command.events,
      status: command.active === true ? 'ACTIVE' : 'INACTIVE',
      disabledReason: null,
      rateLimitPerSecond: command.rateLimitPerSecond ?? null,
      maxInFlight: command.maxInFlight ?? MAX_IN_FLIGHT.default,
      maxEventsPerRequest: command.maxEventsPerRequest ?? MAX_EVENTS_PER_REQUEST.default,
      traceContextHeaders: command.traceContextHeaders ?? true,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    this.applyBasicCredentials(webhook, command.authentication);

    return this.withNameConflictMapped(name, () =>
      this.webhooks.transaction(async (manager) => {
        await this.webhooks.lockAccount(manager, actor.accountId);
        const live = await this.webhooks.countLive(manager, actor.accountId);
        if (live >= this.options.maxWebhooksPerAccount) {
          throw DomainError.webhookLimitReached(this.options.maxWebhooksPerAccount);
        }
        if (await this.webhooks.isNameTaken(manager, actor.accountId, name))
          throw DomainError.webhookNameTaken(name);
        await this.webhooks.insert(manager, webhook);
        if (webhook.authType === 'SIGNATURE') await this.addSigningSecret(manager, webhook.id);
        await this.webhooks.audit(manager, {
          accountId: actor.accountId,
          webhookId: webhook.id,
          actor: actor.sub,
          action: 'CREATED',
          details: {
            name: webhook.name,
            targetUrl: webhook.targetUrl,
            events: webhook.events,
            authType: webhook.authType,
            status: webhook.status,
            maxInFlight: webhook.maxInFlight,
            maxEventsPerRequest: webhook.maxEventsPerRequest,
          },
        });
        return toWebhookView(webhook);
      }),
    );
  }

  async update(command: UpdateWebhookCommand): Promise<WebhookView> {
    const { actor, name } = command;
    const targetUrl =
      command.targetUrl === undefined
        ? undefined
        : (await this.targets.assertAllowed(command.targetUrl)).href;

    return this.withNameConflictMapped(name ?? '', () =>
      this.webhooks.transaction(async (manager) => {
        const webhook = await this.webhooks.findLiveForUpdate(manager, actor.accountId, command.webhookId);
        if (!webhook) throw DomainError.webhookNotFound(command.webhookId);
        const previousTargetUrl = webhook.targetUrl;
        const fieldChanges: FieldChanges = {
          name,
          description: command.description,
          targetUrl,
          events: command.events,
          rateLimitPerSecond: command.rateLimitPerSecond,
          maxInFlight: command.maxInFlight,
          maxEventsPerRequest: command.maxEventsPerRequest,
          traceContextHeaders: command.traceContextHeaders,
        };
        const changedPlainFields = changedFields(webhook, fieldChanges);
        if (
          name !== undefined &&
          changedPlainFields.includes('name') &&
          (await this.webhooks.isNameTaken(manager, actor.accountId, name, webhook.id))
        )
          throw DomainError.webhookNameTaken(name);
        assignFields(webhook, fieldChanges, changedPlainFields);
        const changed: string[] = [...changedPlainFields];
        if (command.authentication !== undefined) {
          if (await this.applyAuthenticationChange(manager, webhook, command.authentication))
            changed.push('authentication');
        }
        if (webhook.authType === 'BASIC' && webhook.targetUrl !== previousTargetUrl) {
          requirePasswordForNewOrigin(previousTargetUrl, webhook.targetUrl, command.authentication);
        }

        const activating = command.active === true && webhook.status !== 'ACTIVE';
        const statusBefore = webhook.status;
        if (activating) {
          // The rules may have tightened since the URL was saved (ALLOW_HTTP_TARGETS, ALLOW_PRIVATE_TARGETS)
          // or its DNS changed: a webhook starts delivering only to a target allowed now.
          if (targetUrl === undefined) await this.targets.assertAllowed(webhook.targetUrl);
          // Re-activating also clears an auto-disable: the admin has looked at it.
          webhook.status = 'ACTIVE';
          webhook.disabledReason = null;
          webhook.failingSince = null;
        }

        if (changed.length > 0 || activating) {
          webhook.updatedAt = new Date();
          await this.webhooks.save(manager, webhook);
        }
        if (changed.length > 0) {
          await this.auditEntry(manager, actor, webhook.id, 'UPDATED', { changed });
        }
        if (activating) {
          await this.auditEntry(manager, actor, webhook.id, 'ACTIVATED', {
            from: statusBefore,
            to: 'ACTIVE',
          });
        }
        // Out of service the one way every retire, delete, 410 and auto-disable goes.
        if (command.active === false) await this.lifecycle.retire(manager, webhook, actor);
        return toWebhookView(webhook);
      }),
    );
  }

  /** Soft delete: the delivery history stays readable for retention, the name becomes free, nothing more is sent. */
  async delete(command: DeleteWebhookCommand): Promise<void> {
    const { actor, webhookId } = command;
    await this.webhooks.transaction(async (manager) => {
      const webhook = await this.webhooks.findLiveForUpdate(manager, actor.accountId, webhookId);
      if (!webhook) throw DomainError.webhookNotFound(webhookId);
      await this.lifecycle.delete(manager, webhook, actor);
    });
  }

  async auditTrail(accountId: number, webhookId: string): Promise<AuditLogEntry[]> {
    await this.requireLive(accountId, webhookId);
    return this.webhooks.auditTrail(accountId, webhookId, AUDIT_TRAIL_LIMIT);
  }

  /** Returns whether anything changed. Switching away from SIGNATURE discards the secrets; switching to it makes one. */
  private async applyAuthenticationChange(
    manager: EntityManager,
    webhook: Webhook,
    authentication: WebhookAuthenticationInput,
  ): Promise<boolean> {
    const before = webhook.authType;
    if (authentication.type === 'BASIC') {
      if (before !== 'BASIC') {
        requireBasicPassword(authentication, 'is required when switching to BASIC authentication');
      }
      const usernameChanged = webhook.basicUsername !== authentication.username;
      webhook.authType = 'BASIC';
      webhook.basicUsername = authentication.username;
      // Omitting the password keeps the stored one: admins cannot read it back to send it again.
      if (authentication.password !== undefined)
        webhook.basicPasswordEnc = this.cipher.encrypt(authentication.password, {
          webhookId: webhook.id,
          field: 'basic_password',
        });
      if (before === 'SIGNATURE') await this.webhooks.deleteSecrets(manager, webhook.id);
      return before !== 'BASIC' || usernameChanged || authentication.password !== undefined;
    }
    if (before === authentication.type) return false;
    webhook.authType = authentication.type;
    webhook.basicUsername = null;
    webhook.basicPasswordEnc = null;
    if (authentication.type === 'SIGNATURE') await this.addSigningSecret(manager, webhook.id);
    if (before === 'SIGNATURE') await this.webhooks.deleteSecrets(manager, webhook.id);
    return true;
  }

  private applyBasicCredentials(webhook: Webhook, authentication: WebhookAuthenticationInput): void {
    if (authentication.type !== 'BASIC') return;
    webhook.basicUsername = authentication.username;
    webhook.basicPasswordEnc =
      authentication.password === undefined
        ? null
        : this.cipher.encrypt(authentication.password, { webhookId: webhook.id, field: 'basic_password' });
  }

  private async addSigningSecret(manager: EntityManager, webhookId: string): Promise<void> {
    await this.webhooks.addSecret(manager, {
      id: randomUUID(),
      webhookId,
      secretEnc: this.cipher.encrypt(generateSigningSecret(), { webhookId, field: 'signing_secret' }),
      createdAt: new Date(),
      expiresAt: null,
    });
  }

  private auditEntry(
    manager: EntityManager,
    actor: AdminActor,
    webhookId: string,
    action: AuditLogEntry['action'],
    details: Record<string, unknown>,
  ): Promise<void> {
    return this.webhooks.audit(manager, {
      accountId: actor.accountId,
      webhookId,
      actor: actor.sub,
      action,
      details,
    });
  }

  /** The unique index is the last word on names (two concurrent renames both pass the pre-check). */
  private async withNameConflictMapped<T>(name: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (
        (error as { driverError?: { code?: string }; code?: string }).driverError?.code === UNIQUE_VIOLATION
      ) {
        throw DomainError.webhookNameTaken(name);
      }
      throw error;
    }
  }
}
