import { WebhookChangeFeed, type WebhookChange } from '@lms/webhook-domain';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** One active webhook of an account and the event names it subscribes to. */
export interface WebhookSubscription {
  webhookId: string;
  events: ReadonlySet<string>;
}

/** Injection token for the cache's time-to-live in ms (a safety net behind the change feed). */
export const SUBSCRIPTION_CACHE_TTL_MS = Symbol('SUBSCRIPTION_CACHE_TTL_MS');

interface CacheEntry {
  subscriptions: WebhookSubscription[];
  expiresAt: number;
}

// Past this many cached accounts the cache starts over rather than grow without bound.
const MAX_CACHED_ACCOUNTS = 100_000;

/**
 * The active webhooks of each account, so the hot path does not query Postgres per event. Loaded on
 * a miss (one query for all missing accounts of a batch), dropped per account as soon as the
 * `webhooks_changed` feed reports a write, and expired after a TTL in case a notification was lost.
 */
@Injectable()
export class WebhookSubscriptionCache implements OnModuleInit, OnModuleDestroy {
  private readonly entries = new Map<number, CacheEntry>();
  /**
   * Bumped on every invalidation. A load that started before an invalidation of an account must not
   * store its (possibly older) answer, or the invalidation would be lost until the TTL.
   */
  private generation = 0;
  private readonly invalidatedAt = new Map<number, number>();
  private clearedAt = 0;
  private unsubscribe?: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly changeFeed: WebhookChangeFeed,
    @Inject(SUBSCRIPTION_CACHE_TTL_MS) private readonly ttlMs: number,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = this.changeFeed.subscribe((change) => this.invalidate(change));
    await this.changeFeed.start();
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Active, non-deleted webhooks of each account asked for (an empty list when it has none). */
  async subscriptionsOf(accountIds: Iterable<number>): Promise<Map<number, WebhookSubscription[]>> {
    const now = Date.now();
    const found = new Map<number, WebhookSubscription[]>();
    const missing: number[] = [];
    for (const accountId of new Set(accountIds)) {
      const entry = this.entries.get(accountId);
      if (entry !== undefined && entry.expiresAt > now) found.set(accountId, entry.subscriptions);
      else missing.push(accountId);
    }
    if (missing.length === 0) return found;

    const loadGeneration = this.generation;
    const rows: Array<{ id: string; account_id: string; events: string[] }> = await this.dataSource.query(
      `SELECT id, account_id, events FROM webhooks
        WHERE account_id = ANY($1::bigint[]) AND status = 'ACTIVE' AND deleted_at IS NULL`,
      [missing],
    );
    const loaded = new Map<number, WebhookSubscription[]>(missing.map((accountId) => [accountId, []]));
    for (const row of rows) {
      loaded.get(Number(row.account_id))?.push({ webhookId: row.id, events: new Set(row.events) });
    }
    if (this.entries.size + missing.length > MAX_CACHED_ACCOUNTS) this.entries.clear();
    const expiresAt = Date.now() + this.ttlMs;
    for (const [accountId, subscriptions] of loaded) {
      found.set(accountId, subscriptions);
      const staleLoad =
        this.clearedAt > loadGeneration || (this.invalidatedAt.get(accountId) ?? 0) > loadGeneration;
      if (!staleLoad) this.entries.set(accountId, { subscriptions, expiresAt });
    }
    return found;
  }

  /** `null`: anything may have changed (the feed reconnected), so everything is forgotten. */
  invalidate(change: Pick<WebhookChange, 'accountId'> | null): void {
    this.generation++;
    if (change === null || !Number.isSafeInteger(change.accountId)) {
      this.clearedAt = this.generation;
      this.invalidatedAt.clear();
      this.entries.clear();
      return;
    }
    this.invalidatedAt.set(change.accountId, this.generation);
    this.entries.delete(change.accountId);
  }
}
