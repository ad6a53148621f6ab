import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ADVISORY_LOCK } from '../database/advisory-locks';
import { withAdvisoryLock } from '../database/run-once-job';
import { WebhookRepository, type LegacyCiphertext } from '../webhooks/webhook.repository';
import { SecretCipher } from './secret-cipher';

/** Rows per UPDATE: bounds one statement's parameters while keeping round trips few. */
const REWRITE_CHUNK = 1000;

export interface LegacySecretRewriteResult {
  rewritten: number;
  /** Rows that do not decrypt under this key (not rewritten, left as they are): their webhook ids. */
  unreadable: string[];
}

/**
 * Rewrites ciphertexts stored before issue 15 (`v1:`, bound to nothing) as `v2:` (bound to their
 * webhook and field), once, when the admin API boots. Not a TypeORM migration: migrations also run in
 * event-ingestion and `npm run migration:run`, which have no encryption key. Safe to repeat and to run
 * on several replicas at once: an advisory lock lets one do the work, and each row is replaced only
 * if it still holds the value that was read (compare-and-set), so a concurrent edit is never undone.
 */
@Injectable()
export class LegacySecretRewriter implements OnApplicationBootstrap {
  private readonly logger = new Logger(LegacySecretRewriter.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly cipher: SecretCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // A failure here must not keep the admin API down: v1 values still decrypt, the next boot retries.
    try {
      const result = await this.rewriteAll();
      if (result && result.rewritten > 0)
        this.logger.log(`rewrote ${result.rewritten} secrets bound to their webhook`);
    } catch (error) {
      this.logger.error({ msg: 'could not rewrite legacy secrets; they stay readable', err: error });
    }
  }

  /** Null when another replica holds the lock (it is doing the same work). */
  async rewriteAll(): Promise<LegacySecretRewriteResult | null> {
    return withAdvisoryLock(this.webhooks.dataSource, ADVISORY_LOCK.LEGACY_SECRET_REWRITE, async (runner) => {
      const result: LegacySecretRewriteResult = { rewritten: 0, unreadable: [] };
      const replacements: { legacy: LegacyCiphertext; next: string }[] = [];
      for (const legacy of await this.webhooks.legacyCiphertexts(runner.manager)) {
        const binding = { webhookId: legacy.webhookId, field: legacy.field };
        let plaintext: string;
        try {
          plaintext = this.cipher.decrypt(legacy.stored, binding);
        } catch {
          result.unreadable.push(legacy.webhookId);
          this.logger.warn({
            msg: 'a stored secret does not decrypt under SECRETS_ENCRYPTION_KEY; left as it is',
            webhookId: legacy.webhookId,
            field: legacy.field,
          });
          continue;
        }
        replacements.push({ legacy, next: this.cipher.encrypt(plaintext, binding) });
      }
      // Set-based, a chunk at a time: a row per statement took 2 ms a row (20 s for 10,000 at boot).
      for (let start = 0; start < replacements.length; start += REWRITE_CHUNK) {
        const chunk = replacements.slice(start, start + REWRITE_CHUNK);
        result.rewritten += await this.webhooks.replaceCiphertexts(runner.manager, chunk);
      }
      return result;
    });
  }
}
