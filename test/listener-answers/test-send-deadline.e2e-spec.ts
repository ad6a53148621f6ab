import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAdminApi, type AdminApiHarness } from '../admin-api/support/admin-api-harness';

const ACCOUNT = 4141;

/**
 * Test-send goes through the dispatcher's sender, so it gets the same one deadline per attempt: a
 * listener that sends its headers and then one byte at a time cannot hold an admin API request open.
 */
describe('admin API: test-send has the one deadline per attempt', () => {
  let api: AdminApiHarness;
  let dripping: Server;
  let targetUrl: string;
  let connectionClosed!: () => void;
  const listenerSawClose = new Promise<void>((resolve) => (connectionClosed = resolve));

  beforeAll(async () => {
    api = await startAdminApi('test_send_deadline', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
      // Every single pause is shorter than any of these; only the whole attempt's deadline ends it.
      // Connect + response (300 + 400) differs from the deadline, so a sender built without
      // DELIVERY_TIMEOUT_MS (falling back to their sum) would answer "within 700 ms" and fail.
      DELIVERY_TIMEOUT_MS: '500',
      DELIVERY_CONNECT_TIMEOUT_MS: '300',
      DELIVERY_RESPONSE_TIMEOUT_MS: '400',
    });
    dripping = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      const timer = setInterval(() => res.write('x'), 100);
      res.socket?.on('close', () => {
        clearInterval(timer);
        connectionClosed();
      });
    });
    await new Promise<void>((resolve) => dripping.listen(0, '127.0.0.1', resolve));
    targetUrl = `http://127.0.0.1:${(dripping.address() as AddressInfo).port}/hooks`;
  });

  afterAll(async () => {
    dripping?.closeAllConnections();
    await new Promise((resolve) => dripping?.close(resolve));
    await api?.close();
  });

  it('answers a timeout at DELIVERY_TIMEOUT_MS and drops the connection', async () => {
    const started = Date.now();
    const answer = await api.call('POST', '/api/v1/webhooks/test', {
      token: api.tokenFor(ACCOUNT),
      body: { targetUrl, authentication: { type: 'NONE' }, events: ['COURSE_ENROLLMENT'] },
    });
    const tookMs = Date.now() - started;

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      delivered: false,
      statusCode: null,
      error: 'TIMEOUT: no complete response within 500 ms',
    });
    expect(answer.body.durationMs).toBeLessThan(2500);
    expect(tookMs).toBeLessThan(5000);
    await listenerSawClose; // the listener sees its connection go: nothing is left open
  });
});
