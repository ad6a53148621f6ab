import type { WebhookChangeFeed, WebhookChangeHandler } from '@lms/webhook-domain';
import type { DataSource } from 'typeorm';
import { WebhookSubscriptionCache } from './webhook-subscription-cache';

interface WebhookRow {
  id: string;
  account_id: string;
  events: string[];
}

/** Answers the cache's one query from an in-memory table; `hold` lets a test pause a load mid-flight. */
class FakeWebhookTable {
  rows: WebhookRow[] = [];
  queries: number[][] = [];
  hold?: Promise<void>;

  readonly dataSource = {
    query: async (_sql: string, [accountIds]: [number[]]) => {
      this.queries.push(accountIds);
      const answer = this.rows.filter((row) => accountIds.includes(Number(row.account_id)));
      await this.hold;
      return answer;
    },
  } as unknown as DataSource;
}

class FakeChangeFeed {
  handler?: WebhookChangeHandler;
  subscribe(handler: WebhookChangeHandler): () => void {
    this.handler = handler;
    return () => (this.handler = undefined);
  }
  async start(): Promise<void> {}
}

describe('WebhookSubscriptionCache', () => {
  let table: FakeWebhookTable;
  let feed: FakeChangeFeed;
  let cache: WebhookSubscriptionCache;

  beforeEach(() => {
    table = new FakeWebhookTable();
    feed = new FakeChangeFeed();
    cache = new WebhookSubscriptionCache(table.dataSource, feed as unknown as WebhookChangeFeed, 60_000);
    cache.onModuleInit();
    table.rows = [
      { id: 'w1', account_id: '1', events: ['COURSE_ENROLLMENT'] },
      { id: 'w2', account_id: '1', events: ['COURSE_COMPLETED'] },
      { id: 'w3', account_id: '2', events: ['LEARNER_PROGRESS'] },
    ];
  });

  const webhookIdsOf = async (accountId: number) =>
    (await cache.subscriptionsOf([accountId])).get(accountId)!.map((subscription) => subscription.webhookId);

  it('loads every missing account of a batch with one query, and answers from memory afterwards', async () => {
    const answer = await cache.subscriptionsOf([1, 2, 3, 1]);
    expect(table.queries).toEqual([[1, 2, 3]]);
    expect(answer.get(1)!.map((subscription) => subscription.webhookId)).toEqual(['w1', 'w2']);
    expect([...answer.get(1)![0].events]).toEqual(['COURSE_ENROLLMENT']);
    expect(answer.get(3)).toEqual([]);

    await cache.subscriptionsOf([1, 2, 3]);
    expect(table.queries).toHaveLength(1);
  });

  it('reloads only the account a change notification names', async () => {
    await cache.subscriptionsOf([1, 2]);
    table.rows.push({ id: 'w4', account_id: '1', events: ['COURSE_ENROLLMENT'] });
    feed.handler!({ accountId: 1, webhookId: 'w4' });

    expect(await webhookIdsOf(1)).toEqual(['w1', 'w2', 'w4']);
    await cache.subscriptionsOf([2]);
    expect(table.queries).toEqual([[1, 2], [1]]);
  });

  it('forgets everything on a null change (the feed reconnected and may have missed notifications)', async () => {
    await cache.subscriptionsOf([1, 2]);
    feed.handler!(null);
    await cache.subscriptionsOf([1, 2]);
    expect(table.queries).toEqual([
      [1, 2],
      [1, 2],
    ]);
  });

  it('does not keep an answer loaded before a change that arrived while the query was running', async () => {
    let release!: () => void;
    table.hold = new Promise((resolve) => (release = resolve));
    const loading = cache.subscriptionsOf([1]); // its rows are read before the change below
    table.rows = table.rows.filter((row) => row.id !== 'w1');
    feed.handler!({ accountId: 1, webhookId: 'w1' });
    release();
    expect((await loading).get(1)!.map((subscription) => subscription.webhookId)).toEqual(['w1', 'w2']);

    table.hold = undefined;
    expect(await webhookIdsOf(1)).toEqual(['w2']);
    expect(table.queries).toEqual([[1], [1]]);
  });

  it('reloads after the TTL even without a notification', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      await cache.subscriptionsOf([2]);
      jest.setSystemTime(1_000_000 + 60_001);
      await cache.subscriptionsOf([2]);
      expect(table.queries).toEqual([[2], [2]]);
    } finally {
      jest.useRealTimers();
    }
  });
});
