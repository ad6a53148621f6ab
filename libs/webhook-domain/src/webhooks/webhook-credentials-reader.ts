import { Injectable } from '@nestjs/common';
import type { WebhookCredentials } from '@lms/http-delivery';
import { SecretCipher } from '../crypto/secret-cipher';
import type { Webhook } from '../entities';
import { WebhookRepository } from './webhook.repository';

/** A webhook's credentials as stored: ciphertexts bound to the webhook (see SecretCipher). */
export interface StoredWebhookCredentials {
  webhookId: string;
  authType: WebhookCredentials['authType'];
  basicUsername: string | null;
  basicPasswordEnc: string | null;
  secrets: ReadonlyArray<{ secretEnc: string; expiresAt: Date | null }>;
}

/**
 * The one place a webhook's credentials are read in clear, for sending (the dispatcher's deliveries
 * and the admin API's test-send). The result lives in memory only and is never logged; the signing
 * secret's download is WebhookSignatureService's business, audited there.
 */
@Injectable()
export class WebhookCredentialsReader {
  constructor(
    private readonly cipher: SecretCipher,
    private readonly webhooks: WebhookRepository,
  ) {}

  /** Decrypts what a caller loaded already (the dispatcher loads a webhook and its secrets in one query). */
  decrypt(stored: StoredWebhookCredentials): WebhookCredentials {
    const webhookId = stored.webhookId;
    return {
      authType: stored.authType,
      basicUsername: stored.basicUsername,
      basicPassword:
        stored.basicPasswordEnc === null
          ? null
          : this.cipher.decrypt(stored.basicPasswordEnc, { webhookId, field: 'basic_password' }),
      secrets: stored.secrets.map((secret) => ({
        secret: this.cipher.decrypt(secret.secretEnc, { webhookId, field: 'signing_secret' }),
        expiresAt: secret.expiresAt,
      })),
    };
  }

  /** A saved webhook's credentials now: its password, and every unexpired signing secret (newest first). */
  async read(webhook: Webhook): Promise<WebhookCredentials> {
    const secrets = webhook.authType === 'SIGNATURE' ? await this.webhooks.unexpiredSecrets(webhook.id) : [];
    return this.decrypt({
      webhookId: webhook.id,
      authType: webhook.authType,
      basicUsername: webhook.basicUsername,
      basicPasswordEnc: webhook.basicPasswordEnc,
      secrets,
    });
  }
}
