import { ChangeFeedCache, WebhookChangeFeed, type CacheClock } from '@lms/webhook-domain';
import { Inject, Injectable, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** One active webhook of an account and the event names it subscribes to. */
export interface WebhookSubscription {
  webhookId: string;
  events: ReadonlySet<string>;
}

/** Injection token for the cache's time-to-live in ms (a safety net behind the change feed). */
export const SUBSCRIPTION_CACHE_TTL_MS = Symbol('SUBSCRIPTION_CACHE_TTL_MS');
/** Injection token for the cache's clock (tests pass their own). */
export const SUBSCRIPTION_CACHE_CLOCK = Symbol('SUBSCRIPTION_CACHE_CLOCK');

// Past this many cached accounts the cache starts over rather than grow without bound.
const MAX_CACHED_ACCOUNTS = 100_000;

/**
 * The active webhooks of each account, so the hot path does not query Postgres per event. Loaded on
 * a miss (one query for all missing accounts of a batch), dropped per account as soon as the
 * `webhooks_changed` feed reports a write, and expired after a TTL in case a notification was lost.
 */
@Injectable()
export class WebhookSubscriptionCache implements OnModuleInit, OnModuleDestroy {
  private readonly cache: ChangeFeedCache<number, WebhookSubscription[]>;
  private unsubscribe?: () => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly changeFeed: WebhookChangeFeed,
    @Inject(SUBSCRIPTION_CACHE_TTL_MS) ttlMs: number,
    @Optional() @Inject(SUBSCRIPTION_CACHE_CLOCK) now?: CacheClock,
  ) {
    this.cache = new ChangeFeedCache({
      // A change whose account cannot be read could be anyone's: everything is forgotten.
      keyOf: (change) => (Number.isSafeInteger(change.accountId) ? change.accountId : undefined),
      ttlMs,
      maxEntries: MAX_CACHED_ACCOUNTS,
      now,
    });
  }

  onModuleInit(): void {
    this.unsubscribe = this.cache.listenTo(this.changeFeed);
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  /** Active, non-deleted webhooks of each account asked for (an empty list when it has none). */
  subscriptionsOf(accountIds: Iterable<number>): Promise<Map<number, WebhookSubscription[]>> {
    return this.cache.getMany(accountIds, (missing) => this.load(missing));
  }

  private async load(accountIds: number[]): Promise<Map<number, WebhookSubscription[]>> {
    const rows: Array<{ id: string; account_id: string; events: string[] }> = await this.dataSource.query(
      `SELECT id, account_id, events FROM webhooks
        WHERE account_id = ANY($1::bigint[]) AND status = 'ACTIVE' AND deleted_at IS NULL`,
      [accountIds],
    );
    const loaded = new Map<number, WebhookSubscription[]>(accountIds.map((accountId) => [accountId, []]));
    for (const row of rows) {
      loaded.get(Number(row.account_id))?.push({ webhookId: row.id, events: new Set(row.events) });
    }
    return loaded;
  }
}
