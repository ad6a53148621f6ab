import { WebhookChangeFeed } from './webhook-change-feed';

describe('WebhookChangeFeed', () => {
  it('starts once: its module init and any later start() share one connection attempt', async () => {
    // Nothing listens on loopback port 1, so the attempt fails fast without a database.
    const feed = new WebhookChangeFeed('postgres://postgres@127.0.0.1:1/none');
    const onInit = feed.onModuleInit();
    const later = feed.start();
    expect(later).toBe(onInit);
    await expect(onInit).rejects.toThrow();
    expect(feed.start()).toBe(onInit);
    await feed.onModuleDestroy();
  });
});
