import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { buildDeliveryHeaders, DEFAULT_USER_AGENT } from './delivery-headers';
import { serializeEnvelope } from './delivery-envelope';
import { BINARY_SNIPPET_MARKER, RESPONSE_SNIPPET_BYTES } from './response-snippet';
import { generateSigningSecret } from './standard-webhooks-signer';
import { DeliveryFailureCode } from './delivery-failure';
import { RESPONSE_DRAIN_BYTES, WebhookHttpSender, WebhookHttpSenderOptions } from './webhook-http-sender';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (request: ReceivedRequest, response: ServerResponse) => void;

/** A real HTTP listener on 127.0.0.1 recording what it received. */
async function startListener(
  handler: Handler,
): Promise<{ url: string; received: ReceivedRequest[]; connections: () => number; close(): Promise<void> }> {
  const received: ReceivedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      handler(request, res);
    });
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function senderOptions(overrides: Partial<WebhookHttpSenderOptions> = {}): WebhookHttpSenderOptions {
  return {
    connectTimeoutMs: 2000,
    responseTimeoutMs: 2000,
    allowPrivateTargets: true,
    allowHttpTargets: true,
    userAgent: DEFAULT_USER_AGENT,
    ...overrides,
  };
}

const body = serializeEnvelope(1010, [
  {
    eventId: 'e-1',
    eventName: 'COURSE_ENROLLMENT',
    timestamp: 1727414643000,
    eventInfo: '',
    dataJson: '{"userId":1}',
  },
]);

describe('WebhookHttpSender', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function listener(handler: Handler) {
    const started = await startListener(handler);
    cleanups.push(() => started.close());
    return started;
  }
  function sender(overrides: Partial<WebhookHttpSenderOptions> = {}) {
    const created = new WebhookHttpSender(senderOptions(overrides));
    cleanups.push(() => created.close());
    return created;
  }

  it('POSTs the exact signed bytes, and the standardwebhooks package verifies them', async () => {
    const target = await listener((_, res) => res.writeHead(204).end());
    const secret = generateSigningSecret();
    const headers = buildDeliveryHeaders({
      webhookId: 'delivery-1',
      timestampSeconds: Math.floor(Date.now() / 1000),
      body,
      auth: { type: 'SIGNATURE', secrets: [secret] },
    });

    const outcome = await sender().send({ url: `${target.url}/hook?x=1`, body, headers });

    expect(outcome).toMatchObject({ statusCode: 204, error: null, retryAfterMs: null });
    const [request] = target.received;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hook?x=1');
    expect(request.body.equals(body)).toBe(true);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toBe(DEFAULT_USER_AGENT);
    expect(request.headers['webhook-id']).toBe('delivery-1');
    const verified = new Webhook(secret).verify(request.body.toString(), {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    });
    expect(verified).toEqual(JSON.parse(body.toString()));
  });

  it('times an attempt from the socket events when asked: connect on a new connection, none on a reused one', async () => {
    const target = await listener((_, res) => res.writeHead(204).end());
    const timed = sender();
    const headers = { 'content-type': 'application/json' };

    const all = [];
    for (let index = 0; index < 6; index += 1) {
      all.push((await timed.send({ url: target.url, body, headers }, { timed: true })).timings!);
    }
    const untimed = await timed.send({ url: target.url, body, headers });

    // Exactly the attempts that opened a connection report connecting (the pool may open a second).
    const opened = all.filter((timings) => timings.newConnection);
    expect(opened).toHaveLength(target.connections());
    expect(all[0].newConnection).toBe(true);
    for (const timings of opened) {
      // An IP target: no lookup; plain http: no TLS.
      expect(timings.dnsStart).toBeUndefined();
      expect(timings.tlsEnd).toBeUndefined();
      const phases = [
        timings.start,
        timings.connectStart,
        timings.connectEnd,
        timings.requestSent,
        timings.firstByte,
      ];
      expect(phases.every((at) => typeof at === 'number')).toBe(true);
      expect([...phases].sort((a, b) => a! - b!)).toEqual(phases);
    }
    const reused = all.filter((timings) => !timings.newConnection);
    expect(reused.length).toBeGreaterThan(0);
    for (const timings of reused) {
      expect(timings.connectStart).toBeUndefined();
      expect(timings.start <= timings.requestSent! && timings.requestSent! <= timings.firstByte!).toBe(true);
    }
    expect(untimed.timings).toBeUndefined();
  });

  it('times the DNS lookup of a name (the socket resolves it, or the address check does)', async () => {
    const target = await listener((_, res) => res.writeHead(204).end());
    const url = target.url.replace('127.0.0.1', 'localhost');
    const headers = { 'content-type': 'application/json' };

    const { timings } = await sender().send({ url, body, headers }, { timed: true });

    expect(timings).toMatchObject({ newConnection: true });
    expect(timings!.dnsStart! <= timings!.dnsEnd!).toBe(true);
    expect(timings!.dnsEnd! <= timings!.connectEnd!).toBe(true);
  });

  it('sends Basic credentials', async () => {
    const target = await listener((_, res) => res.writeHead(200).end('ok'));
    const headers = buildDeliveryHeaders({
      webhookId: 'd',
      timestampSeconds: 1,
      body,
      auth: { type: 'BASIC', username: 'lms', password: 'p:ss' },
    });
    const outcome = await sender().send({ url: target.url, body, headers });
    expect(outcome).toMatchObject({ statusCode: 200, responseSnippet: 'ok', error: null });
    expect(target.received[0].headers.authorization).toBe(
      `Basic ${Buffer.from('lms:p:ss').toString('base64')}`,
    );
    expect(target.received[0].headers['webhook-signature']).toBeUndefined();
  });

  it('reports a 500 with the first KiB of the body only', async () => {
    const target = await listener((_, res) => res.writeHead(500).end('x'.repeat(100_000)));
    const outcome = await sender().send({ url: target.url, body, headers: {} });
    expect(outcome.statusCode).toBe(500);
    expect(outcome.error).toBe('HTTP 500');
    expect(outcome.responseSnippet).toHaveLength(1024);
  });

  it('answers a 200 whose body holds a NUL byte as a success with a snippet Postgres accepts', async () => {
    const answer = Buffer.from('{"ok":true}\u0000', 'utf8');
    const target = await listener((_, res) => res.writeHead(200).end(answer));
    const outcome = await sender().send({ url: target.url, body, headers: {} });
    expect(outcome).toMatchObject({ statusCode: 200, error: null });
    expect(outcome.responseSnippet).not.toContain('\u0000');
    expect(outcome.responseSnippet).toBe(BINARY_SNIPPET_MARKER + answer.toString('base64'));
  });

  it('stores a binary body as bounded base64, and a text body cut at a character boundary', async () => {
    const binary = Buffer.from(Array.from({ length: 5000 }, (_, index) => index % 256));
    const text = `${'a'.repeat(RESPONSE_SNIPPET_BYTES - 1)}€${'b'.repeat(5000)}`;
    const target = await listener((req, res) =>
      res.writeHead(req.url === '/binary' ? 502 : 200).end(req.url === '/binary' ? binary : text),
    );
    const http = sender();
    const [binaryOutcome, textOutcome] = [
      await http.send({ url: `${target.url}/binary`, body, headers: {} }),
      await http.send({ url: `${target.url}/text`, body, headers: {} }),
    ];
    expect(binaryOutcome.statusCode).toBe(502);
    expect(Buffer.byteLength(binaryOutcome.responseSnippet)).toBeLessThanOrEqual(RESPONSE_SNIPPET_BYTES);
    expect(binaryOutcome.responseSnippet.startsWith(BINARY_SNIPPET_MARKER)).toBe(true);
    expect(textOutcome.responseSnippet).toBe('a'.repeat(RESPONSE_SNIPPET_BYTES - 1));
  });

  it('does not follow a redirect: the 3xx is the outcome and the redirect target gets nothing', async () => {
    const elsewhere = await listener((_, res) => res.writeHead(200).end());
    const target = await listener((_, res) =>
      res.writeHead(307, { location: `${elsewhere.url}/stolen` }).end(),
    );
    const outcome = await sender().send({ url: target.url, body, headers: {} });
    expect(outcome.statusCode).toBe(307);
    expect(outcome.error).toContain('redirect not followed');
    expect(elsewhere.received).toHaveLength(0);
  });

  it('times out a slow response', async () => {
    const target = await listener(() => undefined);
    const outcome = await sender({ responseTimeoutMs: 200 }).send({ url: target.url, body, headers: {} });
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/^TIMEOUT/);
  });

  describe('one deadline per attempt', () => {
    /** Headers at once, then one byte every `everyMs`, for ever: undici's body timeout never fires. */
    function drip(everyMs: number) {
      const closed: Array<() => void> = [];
      const socketClosed = new Promise<void>((resolve) => closed.push(resolve));
      return {
        socketClosed,
        handler: (_: ReceivedRequest, res: ServerResponse) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.flushHeaders();
          const timer = setInterval(() => res.write('x'), everyMs);
          res.socket?.on('close', () => {
            clearInterval(timer);
            closed.forEach((resolve) => resolve());
          });
        },
      };
    }

    it('ends a response dripping one byte at a time at the deadline, and closes its connection', async () => {
      const dripping = drip(50);
      const target = await listener(dripping.handler);
      const outcome = await sender({ attemptTimeoutMs: 400, responseTimeoutMs: 2000 }).send({
        url: target.url,
        body,
        headers: {},
      });
      expect(outcome).toMatchObject({
        statusCode: null,
        error: 'TIMEOUT: no complete response within 400 ms',
        responseSnippet: '',
      });
      expect(outcome.failure?.code).toBe(DeliveryFailureCode.TIMEOUT);
      expect(outcome.durationMs).toBeGreaterThanOrEqual(390);
      // Well past the deadline only on a loaded machine; without it the drip went on for ever.
      expect(outcome.durationMs).toBeLessThan(2400);
      await dripping.socketClosed; // the listener sees its connection go: nothing is left open
    });

    it('ends an attempt whose headers never come at the deadline, not at the response timeout', async () => {
      const target = await listener(() => undefined);
      const outcome = await sender({ attemptTimeoutMs: 300, responseTimeoutMs: 60_000 }).send({
        url: target.url,
        body,
        headers: {},
      });
      expect(outcome.error).toBe('TIMEOUT: no complete response within 300 ms');
      expect(outcome.durationMs).toBeLessThan(2300);
    });

    it('defaults to the connect and response timeouts together (a listener within both is never cut off)', async () => {
      const target = await listener((_, res) => setTimeout(() => res.writeHead(204).end(), 300));
      const outcome = await sender({ connectTimeoutMs: 100, responseTimeoutMs: 3000 }).send({
        url: target.url,
        body,
        headers: {},
      });
      expect(outcome).toMatchObject({ statusCode: 204, error: null });
    });

    it('reads a fast endless body only up to the cap: the status is the outcome, the connection is dropped', async () => {
      let written = 0;
      let socketClosed!: () => void;
      const closed = new Promise<void>((resolve) => (socketClosed = resolve));
      const target = await listener((_, res) => {
        res.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'y');
        const pump = () => {
          while (!res.destroyed && res.write(chunk)) written += chunk.length;
        };
        res.on('drain', pump);
        res.socket?.on('close', () => socketClosed());
        pump();
      });
      const outcome = await sender({ attemptTimeoutMs: 5000 }).send({ url: target.url, body, headers: {} });
      expect(outcome).toMatchObject({ statusCode: 200, error: null });
      expect(outcome.responseSnippet).toBe('y'.repeat(RESPONSE_SNIPPET_BYTES));
      await closed;
      // What the listener got into its socket before it was closed: the cap plus socket buffers, not the stream.
      expect(written).toBeLessThan(RESPONSE_DRAIN_BYTES + 8 * 1024 * 1024);
    });
  });

  it('reports a refused connection', async () => {
    const target = await listener(() => undefined);
    await target.close();
    const outcome = await sender().send({ url: target.url, body, headers: {} });
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/ECONNREFUSED/);
  });

  it('reads Retry-After on a 429 and a 503', async () => {
    const target = await listener((req, res) =>
      res.writeHead(req.url === '/busy' ? 503 : 429, { 'retry-after': '7' }).end(),
    );
    const outcomes = [
      await sender().send({ url: `${target.url}/slow`, body, headers: {} }),
      await sender().send({ url: `${target.url}/busy`, body, headers: {} }),
    ];
    expect(outcomes.map((o) => [o.statusCode, o.retryAfterMs])).toEqual([
      [429, 7000],
      [503, 7000],
    ]);
  });

  it('refuses a loopback target at connect time when private targets are not allowed, without sending', async () => {
    const target = await listener((_, res) => res.writeHead(200).end());
    const outcome = await sender({ allowPrivateTargets: false }).send({
      url: `${target.url}/`,
      body,
      headers: {},
    });
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/^TARGET_NOT_ALLOWED: 127\.0\.0\.1 → 127\.0\.0\.1 is a loopback address/);
    expect(target.received).toHaveLength(0);
  });

  it('refuses a plain-http target when http targets are not allowed, without connecting', async () => {
    const target = await listener((_, res) => res.writeHead(200).end());
    const outcome = await sender({ allowHttpTargets: false }).send({
      url: `${target.url}/`,
      body,
      headers: {},
    });
    expect(outcome).toMatchObject({
      statusCode: null,
      error: 'TARGET_NOT_ALLOWED: plain http targets are not allowed (ALLOW_HTTP_TARGETS=false)',
    });
    expect(target.connections()).toBe(0);
  });

  it('refuses a name that resolves to loopback (the check runs after DNS)', async () => {
    const target = await listener((_, res) => res.writeHead(200).end());
    const port = new URL(target.url).port;
    const outcome = await sender({ allowPrivateTargets: false }).send({
      url: `http://localhost:${port}/`,
      body,
      headers: {},
    });
    expect(outcome.error).toMatch(/^TARGET_NOT_ALLOWED: localhost → .* loopback/);
    expect(target.received).toHaveLength(0);
  });

  it('reuses one keep-alive connection for sequential requests to an origin', async () => {
    const target = await listener((_, res) => res.writeHead(200).end());
    const http = sender();
    for (let index = 0; index < 20; index += 1) {
      await http.send({ url: target.url, body, headers: {} });
    }
    expect(target.received).toHaveLength(20);
    // The pool may open a second socket while the first is being marked idle; never one per request.
    expect(target.connections()).toBeLessThanOrEqual(2);
  });
});
