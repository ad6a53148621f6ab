import type { WebhookChange, WebhookChangeFeed } from './webhook-change-feed';

/** Milliseconds on any clock that only moves forward at wall speed (Date.now by default). */
export type CacheClock = () => number;

export interface ChangeFeedCacheOptions<K> {
  /**
   * The entry a change makes stale; undefined when the change cannot be pinned to one, and then
   * every entry is forgotten.
   */
  keyOf(change: WebhookChange): K | undefined;
  /** A backstop behind the feed, in case a notification is lost without the feed noticing. */
  ttlMs: number;
  /** Past this many entries the cache starts over rather than grow without bound. */
  maxEntries: number;
  now?: CacheClock;
}

interface CacheEntry<V> {
  value: Promise<V>;
  expiresAt: number;
}

/**
 * Values derived from the webhooks table, cached per process and made stale by WebhookChangeFeed
 * (the schema's triggers notify on every webhook and secret write). The one cache of that kind:
 * ingestion's subscriptions per account and the dispatcher's targets per webhook are both this.
 *
 * The guard against stale loads: an entry is stored the moment its load starts, and a change removes
 * it whether it has loaded or is still loading. So a load that started before a change can answer
 * only the callers that asked before it; anyone asking after the change loads again. Concurrent
 * callers share one load; a failed load is forgotten (the next caller tries again).
 */
export class ChangeFeedCache<K, V> {
  private readonly entries = new Map<K, CacheEntry<V>>();
  private readonly now: CacheClock;

  constructor(private readonly options: ChangeFeedCacheOptions<K>) {
    this.now = options.now ?? (() => Date.now());
  }

  /** Makes entries stale as the feed reports changes; returns the unsubscribe. */
  listenTo(feed: Pick<WebhookChangeFeed, 'subscribe'>): () => void {
    return feed.subscribe((change) => this.invalidate(change));
  }

  /** `null`: anything may have changed (the feed reconnected), so everything is forgotten. */
  invalidate(change: WebhookChange | null): void {
    const key = change === null ? undefined : this.options.keyOf(change);
    if (key === undefined) this.entries.clear();
    else this.entries.delete(key);
  }

  /** One key; `load` runs on a miss. */
  async get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    // On a miss the one missing key is `key` itself.
    const answers = await this.getMany([key], async () => new Map([[key, await load(key)]]));
    return answers.get(key) as V;
  }

  /**
   * Every key asked for (duplicates once). The missing ones are loaded with one call of `load`, which
   * must answer each of them.
   */
  async getMany(keys: Iterable<K>, load: (missing: K[]) => Promise<Map<K, V>>): Promise<Map<K, V>> {
    const now = this.now();
    const pending = new Map<K, Promise<V>>();
    const missing: K[] = [];
    for (const key of new Set(keys)) {
      const entry = this.entries.get(key);
      if (entry !== undefined && entry.expiresAt > now) pending.set(key, entry.value);
      else missing.push(key);
    }
    if (missing.length > 0) {
      if (this.entries.size + missing.length > this.options.maxEntries) this.entries.clear();
      const batch = load(missing);
      const expiresAt = now + this.options.ttlMs;
      for (const key of missing) {
        const value = batch.then((loaded) => {
          if (!loaded.has(key))
            throw new Error(`ChangeFeedCache: the load answered nothing for ${String(key)}`);
          return loaded.get(key) as V;
        });
        const entry = { value, expiresAt };
        this.entries.set(key, entry);
        value.catch(() => {
          if (this.entries.get(key) === entry) this.entries.delete(key);
        });
        pending.set(key, value);
      }
    }
    const keysAsked = [...pending.keys()];
    const values = await Promise.all(pending.values());
    return new Map(keysAsked.map((key, index) => [key, values[index] as V]));
  }
}
