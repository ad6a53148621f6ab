import { startAdminApi, type AdminApiHarness } from '../admin-api/support/admin-api-harness';

const ACCOUNT = 5151;

/**
 * The list the console's Webhooks page reads in one request: every webhook with its lanes (the page's
 * Lane health column) and the account's limit in X-Webhook-Limit (the Add button's "At most N"), so
 * the console neither asks once per webhook nor hard-codes the server's MAX_WEBHOOKS_PER_ACCOUNT.
 */
describe('admin API: GET /webhooks carries lane health and the webhook limit', () => {
  let api: AdminApiHarness;
  let token: string;

  beforeAll(async () => {
    api = await startAdminApi('webhook_list_console', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
      MAX_WEBHOOKS_PER_ACCOUNT: '3',
    });
    token = api.tokenFor(ACCOUNT);
  });

  afterAll(async () => {
    await api?.close();
  });

  it('answers each webhook with the lanes GET /webhooks/{id} shows, and the configured limit', async () => {
    const ids: string[] = [];
    for (const name of ['First', 'Second']) {
      const created = await api.call('POST', '/api/v1/webhooks', {
        token,
        body: {
          name,
          targetUrl: 'http://127.0.0.1:9/hooks',
          authentication: { type: 'NONE' },
          events: ['COURSE_ENROLLMENT'],
        },
      });
      expect(created.status).toBe(201);
      ids.push(created.body.id);
    }

    const list = await api.call('GET', '/api/v1/webhooks', { token });
    expect(list.status).toBe(200);
    expect(list.headers.get('x-webhook-limit')).toBe('3');
    expect(list.body.map((webhook: { id: string }) => webhook.id).sort()).toEqual([...ids].sort());
    for (const webhook of list.body) {
      const detail = await api.call('GET', `/api/v1/webhooks/${webhook.id}`, { token });
      expect(webhook.lanes.map((lane: { kind: string }) => lane.kind)).toEqual(['REALTIME', 'BATCH']);
      expect(webhook.lanes).toEqual(detail.body.lanes);
    }
  });

  it('says the limit for an account without webhooks too', async () => {
    const empty = await api.call('GET', '/api/v1/webhooks', { token: api.tokenFor(ACCOUNT + 1) });
    expect([empty.status, empty.body, empty.headers.get('x-webhook-limit')]).toEqual([200, [], '3']);
  });
});
