import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { generateSigningSecret } from '@lms/http-delivery';
import { SecretCipher } from '../crypto/secret-cipher';
import type { Webhook } from '../entities';
import { DomainError } from '../errors/domain-error';
import type { AdminActor, RotateSigningSecretCommand } from './webhook-commands';
import { WEBHOOK_MANAGEMENT_OPTIONS, type WebhookManagementOptions } from './webhook-management-options';
import { WebhookRepository } from './webhook.repository';

/** The signing-secret file an admin downloads and installs on the receiving server. */
export interface SigningSecretFile {
  webhookId: string;
  scheme: 'standard-webhooks';
  algorithm: 'HMAC-SHA256';
  secret: string;
  headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'];
  createdAt: Date;
  /** Until when the previous secret keeps signing too (after a rotation); null otherwise. */
  previousSecretExpiresAt: Date | null;
}

/**
 * The only way a signing secret leaves the system in clear: the download and the rotation answer.
 */
@Injectable()
export class WebhookSignatureService {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly cipher: SecretCipher,
    @Inject(WEBHOOK_MANAGEMENT_OPTIONS) private readonly options: WebhookManagementOptions,
  ) {}

  /**
   * Audited like a change (SECRET_DOWNLOADED: who, when, which secret), in the same transaction as the
   * read: the secret leaves in clear here, so the trail must say who took it even if nothing changed.
   */
  async download(actor: AdminActor, webhookId: string): Promise<SigningSecretFile> {
    return this.webhooks.transaction(async (manager) => {
      // Locked as rotate locks it: the secret audited is the one handed out, not one rotated meanwhile.
      const webhook = await this.webhooks.findLiveForUpdate(manager, actor.accountId, webhookId);
      if (!webhook) throw DomainError.webhookNotFound(webhookId);
      assertSignatureWebhook(webhook);
      const secrets = await this.webhooks.unexpiredSecrets(webhook.id, manager);
      const newest = secrets[0];
      if (!newest) throw new Error(`SIGNATURE webhook ${webhook.id} has no unexpired signing secret`);
      const previous = secrets.slice(1).find((secret) => secret.expiresAt !== null);
      await this.webhooks.audit(manager, {
        accountId: actor.accountId,
        webhookId: webhook.id,
        actor: actor.sub,
        action: 'SECRET_DOWNLOADED',
        details: { secretCreatedAt: newest.createdAt.toISOString() },
      });
      return this.file(
        webhook.id,
        this.cipher.decrypt(newest.secretEnc, { webhookId: webhook.id, field: 'signing_secret' }),
        newest.createdAt,
        previous?.expiresAt ?? null,
      );
    });
  }

  /**
   * A new secret signs from now on; the current one keeps signing alongside it for the overlap, so
   * receivers can switch without rejecting a single delivery. Never more than two: rotating again
   * during an overlap retires the older previous secret at once (see WebhookRepository.rotateSecret).
   */
  async rotate(command: RotateSigningSecretCommand): Promise<SigningSecretFile> {
    const { actor, webhookId } = command;
    return this.webhooks.transaction(async (manager) => {
      const webhook = await this.webhooks.findLiveForUpdate(manager, actor.accountId, webhookId);
      if (!webhook) throw DomainError.webhookNotFound(webhookId);
      assertSignatureWebhook(webhook);
      const secret = generateSigningSecret();
      const createdAt = new Date();
      const previousExpiresAt = await this.webhooks.rotateSecret(
        manager,
        {
          id: randomUUID(),
          webhookId: webhook.id,
          secretEnc: this.cipher.encrypt(secret, { webhookId: webhook.id, field: 'signing_secret' }),
          createdAt,
          expiresAt: null,
        },
        this.options.secretRotationOverlapMs,
      );
      await this.webhooks.audit(manager, {
        accountId: actor.accountId,
        webhookId: webhook.id,
        actor: actor.sub,
        action: 'SECRET_ROTATED',
        details: { previousSecretExpiresAt: previousExpiresAt?.toISOString() ?? null },
      });
      return this.file(webhook.id, secret, createdAt, previousExpiresAt);
    });
  }

  private file(
    webhookId: string,
    secret: string,
    createdAt: Date,
    previousSecretExpiresAt: Date | null,
  ): SigningSecretFile {
    return {
      webhookId,
      scheme: 'standard-webhooks',
      algorithm: 'HMAC-SHA256',
      secret,
      headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
      createdAt,
      previousSecretExpiresAt,
    };
  }
}

function assertSignatureWebhook(webhook: Webhook): void {
  if (webhook.authType !== 'SIGNATURE') {
    throw DomainError.notASignatureWebhook(webhook.id, webhook.authType);
  }
}
