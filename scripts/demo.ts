// `npm run demo`: the whole path in one minute, on top of a running stack (`npm start`):
//   admin token → SIGNATURE webhook → signing secret → activate → LMS events on Kafka → signed,
//   verified deliveries printed by a small listener on this machine → webhook deleted.
// Batched (non-real-time) events arrive at the next batch flush: run the stack with a short cron,
//   BATCH_CRON='*/10 * * * * *' npm start
// Settings (env): ADMIN_API_URL (http://127.0.0.1:3000), ADMIN_JWT_SECRET (the dev default),
// KAFKA_BROKERS (127.0.0.1:9092), KAFKA_EVENTS_TOPIC (lms.events), DEMO_ACCOUNT_ID (1010),
// DEMO_WAIT_SECONDS (75).
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildExampleEvent, type EventName } from '@lms/payload-schemas';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { Webhook } from 'standardwebhooks';

const DEV_JWT_SECRET = 'dev-only-admin-jwt-secret-change-me-0123456789';
const REALTIME: EventName[] = ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'];
const BATCHED: EventName[] = ['COURSE_ENROLLMENT_BATCH', 'LEARNER_PROGRESS'];

const settings = {
  adminApiUrl: (process.env.ADMIN_API_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, ''),
  jwtSecret: process.env.ADMIN_JWT_SECRET ?? DEV_JWT_SECRET,
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  topic: process.env.KAFKA_EVENTS_TOPIC ?? 'lms.events',
  accountId: Number(process.env.DEMO_ACCOUNT_ID ?? 1010),
  waitSeconds: Number(process.env.DEMO_WAIT_SECONDS ?? 75),
};

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const green = (text: string) => (process.stdout.isTTY ? `\x1b[32m${text}\x1b[0m` : text);
const red = (text: string) => (process.stdout.isTTY ? `\x1b[31m${text}\x1b[0m` : text);
const started = Date.now();
const say = (text: string) =>
  console.log(`${bold(`[demo +${((Date.now() - started) / 1000).toFixed(1)}s]`)} ${text}`);

/** An HS256 token with the claims the admin API expects from the identity provider. */
function mintAdminToken(secret: string, accountId: number): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ sub: 'demo-admin', accountId, roles: ['INTEGRATION_ADMIN'], iat: now, exp: now + 900 })}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

interface Received {
  eventId: string;
  eventName: string;
}

/** The receiving side, as an integrator would write it: verify with the stock Standard Webhooks library, answer 204. */
async function startVerifyingListener(
  onEvents: (events: Received[], deliveryId: string) => void,
): Promise<{ url: string; setSecret(secret: string): void; close(): Promise<void>; failures: number }> {
  let verifier: Webhook | undefined;
  const state = { failures: 0 };
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        if (!verifier) throw new Error('no secret yet');
        const envelope = verifier.verify(body, request.headers as Record<string, string>) as {
          accountId: number;
          events: Received[];
        };
        response.writeHead(204).end();
        onEvents(envelope.events, headerValue(request.headers, 'webhook-id'));
      } catch (error) {
        state.failures += 1;
        say(red(`✗ rejected a request: signature did not verify (${(error as Error).message})`));
        response.writeHead(401).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/lms-webhooks`,
    setSecret: (secret) => (verifier = new Webhook(secret)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
    get failures() {
      return state.failures;
    },
  };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : (value ?? '');
}

async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${settings.adminApiUrl}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

async function main(): Promise<number> {
  const ready = await fetch(`${settings.adminApiUrl}/health/ready`).catch(() => undefined);
  if (!ready?.ok) {
    console.error(
      `The admin API is not answering at ${settings.adminApiUrl}. Start the stack first, with a short batch cron so the\n` +
        `batched events arrive within the demo:\n\n  BATCH_CRON='*/10 * * * * *' npm start\n\n(or set ADMIN_API_URL to where it runs).`,
    );
    return 1;
  }
  const token = mintAdminToken(settings.jwtSecret, settings.accountId);
  say(`minted an Integration Admin token for account ${settings.accountId}`);

  const pending = new Map<string, { name: EventName; producedAt?: number }>();
  const listener = await startVerifyingListener((events, deliveryId) => {
    const names = events.map((event) => event.eventName).join(', ');
    say(green(`✓ signature verified · delivery ${deliveryId} · ${events.length} event(s): ${names}`));
    for (const event of events) {
      const expected = pending.get(event.eventId);
      if (!expected) continue;
      const after = expected.producedAt
        ? `${((Date.now() - expected.producedAt) / 1000).toFixed(1)} s after it was produced`
        : '';
      say(`    ${event.eventName} ${event.eventId} ${after}`);
      pending.delete(event.eventId);
    }
  });
  say(`listener on ${listener.url} (verifies every request with the standardwebhooks package)`);

  let webhookId: string | undefined;
  try {
    const webhook = await api<{ id: string }>(token, 'POST', '/webhooks', {
      name: `demo-${randomBytes(3).toString('hex')}`,
      description: 'created by npm run demo; deleted when it ends',
      targetUrl: listener.url,
      authentication: { type: 'SIGNATURE' },
      events: [...REALTIME, ...BATCHED],
      active: false,
    });
    webhookId = webhook.id;
    say(`created SIGNATURE webhook ${webhook.id} for ${[...REALTIME, ...BATCHED].join(', ')} (inactive)`);
    const signature = await api<{ secret: string }>(token, 'GET', `/webhooks/${webhook.id}/signature`);
    listener.setSecret(signature.secret);
    say(`downloaded its signing secret (${signature.secret.slice(0, 10)}…) and gave it to the listener`);
    await api(token, 'PATCH', `/webhooks/${webhook.id}`, { active: true });
    say('activated the webhook');
    // The other apps learn about the change through Postgres NOTIFY; give them a moment.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    const kafka = new Kafka({
      clientId: 'lms-webhooks-demo',
      brokers: settings.brokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const events = [...REALTIME, ...BATCHED].map((name) =>
        buildExampleEvent(name, { accountId: settings.accountId }),
      );
      for (const event of events) pending.set(event.eventId, { name: event.eventName });
      await producer.send({
        topic: settings.topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: events.map(({ realtime: _realtime, ...wire }) => ({
          key: String(wire.accountId),
          value: JSON.stringify(wire),
        })),
      });
      const producedAt = Date.now();
      for (const event of events) pending.set(event.eventId, { name: event.eventName, producedAt });
      say(
        `produced ${events.length} LMS events to Kafka topic ${settings.topic}: ${REALTIME.join(', ')} (real-time) and ${BATCHED.join(', ')} (batched)`,
      );
      say(
        `real-time events arrive at once; batched ones at the next batch flush (BATCH_CRON). Waiting up to ${settings.waitSeconds} s…`,
      );
    } finally {
      await producer.disconnect();
    }

    const deadline = Date.now() + settings.waitSeconds * 1000;
    while (pending.size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    if (webhookId) {
      await api(token, 'DELETE', `/webhooks/${webhookId}`).then(
        () => say(`deleted webhook ${webhookId}`),
        (error: Error) => say(red(`could not delete webhook ${webhookId}: ${error.message}`)),
      );
    }
    await listener.close();
  }

  const missingRealtime = [...pending.values()].filter((event) => REALTIME.includes(event.name));
  if (pending.size === 0 && listener.failures === 0) {
    say(green('done: every event arrived, signed and verified.'));
    return 0;
  }
  if (missingRealtime.length === 0 && listener.failures === 0) {
    say(
      `real-time events arrived; ${pending.size} batched event(s) did not within ${settings.waitSeconds} s. The stack's BATCH_CRON ` +
        `is probably the default (every 5 minutes): start it with BATCH_CRON='*/10 * * * * *' to see them in the demo.`,
    );
    return 0;
  }
  say(
    red(
      `${missingRealtime.length} real-time event(s) did not arrive and ${listener.failures} request(s) failed verification: see the stack's logs.`,
    ),
  );
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(red(`demo failed: ${(error as Error).message}`));
    process.exit(1);
  },
);
