import type { WebhookCredentials } from '@lms/http-delivery';
import type {
  StoredSendTarget,
  StoredWebhookCredentials,
  WebhookChangeFeed,
  WebhookChangeHandler,
  WebhookCredentialsReader,
  WebhookRepository,
} from '@lms/webhook-domain';
import { WebhookTargetCache } from './webhook-target-cache';

const WEBHOOK_ID = '0f2a4c1e-7d3b-4e59-9a61-2b8c5d7e9f10';

function storedTarget(targetUrl: string): StoredSendTarget {
  return {
    id: WEBHOOK_ID,
    accountId: 42,
    targetUrl,
    status: 'ACTIVE',
    deleted: false,
    rateLimitPerSecond: 10,
    traceContextHeaders: true,
    credentials: {
      webhookId: WEBHOOK_ID,
      authType: 'SIGNATURE',
      basicUsername: null,
      basicPasswordEnc: null,
      secrets: [{ secretEnc: 'v1:cipher', expiresAt: null }],
    },
  };
}

/** The repository's read and the reader's decryption, recorded; the change feed driven by hand. */
function setUp() {
  const loads: string[] = [];
  let stored: StoredSendTarget | null = storedTarget('https://a.example/hook');
  const repository = {
    findSendTarget: async (webhookId: string) => {
      loads.push(webhookId);
      return stored;
    },
  } satisfies Pick<WebhookRepository, 'findSendTarget'>;
  const credentials = {
    decrypt: (encrypted: StoredWebhookCredentials): WebhookCredentials => ({
      authType: encrypted.authType,
      basicUsername: encrypted.basicUsername,
      basicPassword: null,
      secrets: encrypted.secrets.map((secret) => ({
        secret: `clear(${secret.secretEnc})`,
        expiresAt: secret.expiresAt,
      })),
    }),
  } satisfies Pick<WebhookCredentialsReader, 'decrypt'>;
  const handlers: WebhookChangeHandler[] = [];
  const feed = {
    subscribe: (handler: WebhookChangeHandler) => {
      handlers.push(handler);
      return () => handlers.splice(handlers.indexOf(handler), 1);
    },
  } satisfies Pick<WebhookChangeFeed, 'subscribe'>;
  const cache = new WebhookTargetCache(
    repository as unknown as WebhookRepository,
    credentials as unknown as WebhookCredentialsReader,
    feed as unknown as WebhookChangeFeed,
  );
  cache.onModuleInit();
  return {
    cache,
    loads,
    handlers,
    store: (next: StoredSendTarget | null) => (stored = next),
  };
}

describe('WebhookTargetCache', () => {
  it("answers the repository's row with its credentials decrypted", async () => {
    const { cache } = setUp();
    expect(await cache.get(WEBHOOK_ID)).toEqual({
      id: WEBHOOK_ID,
      accountId: 42,
      targetUrl: 'https://a.example/hook',
      status: 'ACTIVE',
      deleted: false,
      rateLimitPerSecond: 10,
      traceContextHeaders: true,
      authType: 'SIGNATURE',
      basicUsername: null,
      basicPassword: null,
      secrets: [{ secret: 'clear(v1:cipher)', expiresAt: null }],
    });
  });

  it('reads the repository once for concurrent and later gets, and again after the feed names the webhook', async () => {
    const { cache, loads, handlers, store } = setUp();
    await Promise.all([cache.get(WEBHOOK_ID), cache.get(WEBHOOK_ID)]);
    await cache.get(WEBHOOK_ID);
    expect(loads).toEqual([WEBHOOK_ID]);

    store(storedTarget('https://b.example/hook'));
    for (const handler of handlers) handler({ accountId: 42, webhookId: WEBHOOK_ID });
    expect((await cache.get(WEBHOOK_ID))?.targetUrl).toBe('https://b.example/hook');
    expect(loads).toEqual([WEBHOOK_ID, WEBHOOK_ID]);
  });

  it('answers null for a webhook without a row, and stops listening to the feed on shutdown', async () => {
    const { cache, handlers, store } = setUp();
    store(null);
    expect(await cache.get(WEBHOOK_ID)).toBeNull();
    expect(handlers).toHaveLength(1);
    cache.onModuleDestroy();
    expect(handlers).toHaveLength(0);
  });
});
