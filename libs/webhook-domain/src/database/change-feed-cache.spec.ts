import { ChangeFeedCache } from './change-feed-cache';
import type { WebhookChangeHandler } from './webhook-change-feed';

/** A load the test answers when it chooses, recording what each call asked for. */
class ControlledLoads {
  readonly calls: string[][] = [];
  private readonly answers: Array<(values: Map<string, number>) => void> = [];
  private readonly failures: Array<(error: Error) => void> = [];

  readonly load = (keys: string[]): Promise<Map<string, number>> => {
    this.calls.push(keys);
    return new Promise((resolve, reject) => {
      this.answers.push(resolve);
      this.failures.push(reject);
    });
  };

  answer(call: number, values: Record<string, number>): void {
    this.answers[call](new Map(Object.entries(values)));
  }

  fail(call: number, error: Error): void {
    this.failures[call](error);
  }
}

class FakeFeed {
  handler?: WebhookChangeHandler;
  subscribe(handler: WebhookChangeHandler): () => void {
    this.handler = handler;
    return () => (this.handler = undefined);
  }
}

describe('ChangeFeedCache', () => {
  let clock: number;
  let loads: ControlledLoads;
  let feed: FakeFeed;
  let cache: ChangeFeedCache<string, number>;

  beforeEach(() => {
    clock = 1_000;
    loads = new ControlledLoads();
    feed = new FakeFeed();
    cache = new ChangeFeedCache<string, number>({
      keyOf: (change) => change.webhookId,
      ttlMs: 60_000,
      maxEntries: 3,
      now: () => clock,
    });
    cache.listenTo(feed);
  });

  const change = (webhookId: string) => ({ accountId: 1, webhookId });

  it('loads the missing keys of a call with one load (each key once) and answers later calls from memory', async () => {
    const first = cache.getMany(['a', 'b', 'a'], loads.load);
    loads.answer(0, { a: 1, b: 2 });
    expect(await first).toEqual(
      new Map([
        ['a', 1],
        ['b', 2],
      ]),
    );

    expect(await cache.getMany(['b', 'a'], loads.load)).toEqual(
      new Map([
        ['b', 2],
        ['a', 1],
      ]),
    );
    expect(loads.calls).toEqual([['a', 'b']]);
  });

  it('shares one load between callers that ask while it runs', async () => {
    const first = cache.get('a', async (key) => (await loads.load([key])).get(key)!);
    const second = cache.get('a', async (key) => (await loads.load([key])).get(key)!);
    loads.answer(0, { a: 7 });
    expect([await first, await second]).toEqual([7, 7]);
    expect(loads.calls).toEqual([['a']]);
  });

  it('guards against a stale load: a change during the load reaches every caller who asks after it', async () => {
    const before = cache.getMany(['a'], loads.load);
    feed.handler!(change('a')); // the row changed while the first load ran
    const after = cache.getMany(['a'], loads.load);
    loads.answer(0, { a: 1 }); // the old row
    loads.answer(1, { a: 2 }); // the new row
    expect((await before).get('a')).toBe(1);
    expect((await after).get('a')).toBe(2);
    expect((await cache.getMany(['a'], loads.load)).get('a')).toBe(2);
    expect(loads.calls).toEqual([['a'], ['a']]);
  });

  it('forgets only the key a change names', async () => {
    const first = cache.getMany(['a', 'b'], loads.load);
    loads.answer(0, { a: 1, b: 2 });
    await first;
    feed.handler!(change('a'));
    const second = cache.getMany(['a', 'b'], loads.load);
    loads.answer(1, { a: 3 });
    expect(await second).toEqual(
      new Map([
        ['a', 3],
        ['b', 2],
      ]),
    );
    expect(loads.calls).toEqual([['a', 'b'], ['a']]);
  });

  it('forgets everything on a null change (the feed reconnected) or a change it cannot pin to a key', async () => {
    const byAccount = new ChangeFeedCache<number, number>({
      keyOf: (change) => (Number.isSafeInteger(change.accountId) ? change.accountId : undefined),
      ttlMs: 60_000,
      maxEntries: 10,
      now: () => clock,
    });
    let loadsMade = 0;
    const load = async (keys: number[]) => {
      loadsMade++;
      return new Map(keys.map((key) => [key, key * 10]));
    };
    await byAccount.getMany([1, 2], load);
    byAccount.invalidate(null);
    await byAccount.getMany([1, 2], load);
    byAccount.invalidate({ accountId: Number.NaN, webhookId: 'w' });
    await byAccount.getMany([1, 2], load);
    expect(loadsMade).toBe(3);
  });

  it('loads again once the TTL has passed on its clock, without a change', async () => {
    const first = cache.getMany(['a'], loads.load);
    loads.answer(0, { a: 1 });
    await first;
    clock += 59_999;
    await cache.getMany(['a'], loads.load);
    expect(loads.calls).toHaveLength(1);
    clock += 1;
    const expired = cache.getMany(['a'], loads.load);
    loads.answer(1, { a: 2 });
    expect((await expired).get('a')).toBe(2);
    expect(loads.calls).toHaveLength(2);
  });

  it('forgets a failed load, so the next caller tries again', async () => {
    const failing = cache.getMany(['a'], loads.load);
    loads.fail(0, new Error('connection reset'));
    await expect(failing).rejects.toThrow('connection reset');
    const retry = cache.getMany(['a'], loads.load);
    loads.answer(1, { a: 1 });
    expect((await retry).get('a')).toBe(1);
  });

  it('refuses a load that answers nothing for a key it was asked (rather than caching undefined)', async () => {
    const answer = cache.getMany(['a', 'b'], loads.load);
    loads.answer(0, { a: 1 });
    await expect(answer).rejects.toThrow('the load answered nothing for b');
  });

  it('starts over past maxEntries instead of growing without bound', async () => {
    const first = cache.getMany(['a', 'b', 'c'], loads.load);
    loads.answer(0, { a: 1, b: 2, c: 3 });
    await first;
    const fourth = cache.getMany(['d'], loads.load);
    loads.answer(1, { d: 4 });
    await fourth;
    const again = cache.getMany(['a', 'd'], loads.load);
    expect(loads.calls[2]).toEqual(['a']);
    loads.answer(2, { a: 1 });
    expect(await again).toEqual(
      new Map([
        ['a', 1],
        ['d', 4],
      ]),
    );
  });

  it('stops listening when unsubscribed', () => {
    const unsubscribe = cache.listenTo(feed);
    unsubscribe();
    expect(feed.handler).toBeUndefined();
  });
});
