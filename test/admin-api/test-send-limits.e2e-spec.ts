import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@lms/testing';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

/** A loopback listener that holds every answer until the test lets them go (or answers at once). */
async function startHoldingListener(): Promise<{
  url: string;
  received: () => number;
  hold: (holding: boolean) => void;
  close: () => Promise<void>;
}> {
  let holding = true;
  let received = 0;
  const held: ServerResponse[] = [];
  const answer = (response: ServerResponse) => response.writeHead(200).end('{"ok":true}');
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    request.resume();
    request.on('end', () => {
      received += 1;
      if (holding) held.push(response);
      else answer(response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received: () => received,
    hold: (next) => {
      holding = next;
      if (!holding) held.splice(0).forEach(answer);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Issue 15: test-sends are bounded per account, in how many run at once (a share of the process's
 * test-send slots) and in how many go out per window (across replicas); beyond either, a 429 that
 * says which. Only test-sends that go out count: a refused body sends nothing and costs no test-send.
 */
describe('admin API: test-send limits', () => {
  let api: AdminApiHarness;
  let listener: Awaited<ReturnType<typeof startHoldingListener>>;

  beforeAll(async () => {
    api = await startAdminApi('test_send_limits', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
      TEST_SEND_MAX_CONCURRENT: '2',
      TEST_SEND_MAX_CONCURRENT_PER_ACCOUNT: '1',
      TEST_SEND_RATE_LIMIT_PER_ACCOUNT: '3',
      TEST_SEND_RATE_LIMIT_WINDOW: '1h',
    });
    listener = await startHoldingListener();
  });
  afterAll(async () => {
    listener?.hold(false);
    await listener?.close();
    await api?.close();
  });

  const testSend = (accountId: number, body: unknown = undefined) =>
    api.call('POST', '/api/v1/webhooks/test', {
      token: api.tokenFor(accountId),
      body: body ?? {
        targetUrl: listener.url,
        authentication: { type: 'NONE' },
        events: ['COURSE_ENROLLMENT'],
      },
    });
  const listenerHas = (count: number) =>
    waitFor(`the listener to hold ${count} test-sends`, () =>
      listener.received() >= count ? true : undefined,
    );

  it("refuses an account's second concurrent test-send, and any beyond the process's slots, with the reason", async () => {
    listener.hold(true);
    const first = testSend(8001);
    await listenerHas(1);

    const sameAccount = await testSend(8001);
    expect(sameAccount.status).toBe(429);
    expect(sameAccount.headers.get('retry-after')).toBe('1');
    expect(sameAccount.body).toEqual({
      statusCode: 429,
      code: 'TOO_MANY_CONCURRENT_TEST_SENDS',
      message:
        "This account already has 1 test-sends in progress (its share of the admin API's test-sends); wait for one to finish",
    });

    // Another account has its own share: it goes out while the first one is still held.
    const otherAccount = testSend(8002);
    await listenerHas(2);
    const third = await testSend(8003);
    expect(third.status).toBe(429);
    expect(third.body.message).toBe(
      'The admin API already has 2 test-sends in progress (all accounts); try again in a moment',
    );

    listener.hold(false);
    expect((await first).body).toMatchObject({ delivered: true, statusCode: 200 });
    expect((await otherAccount).body).toMatchObject({ delivered: true, statusCode: 200 });
    // The refused ones sent nothing; with the slots free, the account sends again.
    expect(listener.received()).toBe(2);
    expect((await testSend(8001)).status).toBe(200);
  });

  it('counts test-sends that go out per account and window (both test routes); refused bodies do not count', async () => {
    listener.hold(false);
    const before = listener.received();
    for (let call = 0; call < 5; call++) {
      const invalid = await testSend(8100, { targetUrl: listener.url, authentication: { type: 'NONE' } });
      expect(invalid.status).toBe(400);
    }
    for (let call = 0; call < 3; call++) {
      expect((await testSend(8100)).status).toBe(200);
    }
    const refused = await testSend(8100);
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      statusCode: 429,
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(
        /^Too many test-sends from this account: at most 3 per hour; retry after \d+ s$/,
      ),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);

    // The saved webhook's test route shares the count.
    const token = api.tokenFor(8100);
    const created = await api.call('POST', '/api/v1/webhooks', {
      token,
      body: webhookBody({ targetUrl: listener.url, events: ['COURSE_ENROLLMENT'] }),
    });
    expect(created.status).toBe(201);
    const saved = await api.call('POST', `/api/v1/webhooks/${created.body.id}/test`, { token, body: {} });
    expect(saved.status).toBe(429);
    expect(listener.received() - before).toBe(3);

    // Other accounts are not affected.
    expect((await testSend(8101)).status).toBe(200);

    const metrics = (await api.call('GET', '/metrics')).text;
    expect(metrics).toContain('lmsw_admin_requests_limited_total{limit="testSendConcurrency"} 2');
    expect(metrics).toContain('lmsw_admin_requests_limited_total{limit="testSend"} 2');
  });
});
