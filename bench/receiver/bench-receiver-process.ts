// The benchmark receiver: a plain node:http server on 127.0.0.1 that answers every request at once
// (204, as a well-behaved receiver that processes later would) and counts what it got, by
// `webhook-id` and by event id. Runs as a child process of the bench driver; see receiver-protocol.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { summarizeLatencies } from '../report/percentiles';
import type { DriverToReceiver, ReceiverToDriver, RunStats } from './receiver-protocol';

interface RunLedger {
  requests: number;
  deliveryIds: Set<string>;
  repeatedDeliveries: number;
  /** sequence → times seen */
  seen: Map<number, number>;
  latencies: number[];
  /** Events of this run in each request's body. */
  eventsPerRequest: number[];
  firstReceivedAt: number | null;
  lastReceivedAt: number | null;
}

interface EnvelopeShape {
  events?: { eventId?: unknown; timestamp?: unknown }[];
}

const runs = new Map<string, RunLedger>();
const verifiers = new Map<string, Webhook>();
let verifyEvery = 0;
let requestCount = 0;
let signaturesChecked = 0;
let signatureFailures = 0;
let malformedOutsideRuns = 0;
const ceiling = { requests: 0, firstAt: null as number | null, lastAt: null as number | null };

function ledgerOf(run: string): RunLedger {
  let ledger = runs.get(run);
  if (!ledger) {
    ledger = {
      requests: 0,
      deliveryIds: new Set(),
      repeatedDeliveries: 0,
      seen: new Map(),
      latencies: [],
      eventsPerRequest: [],
      firstReceivedAt: null,
      lastReceivedAt: null,
    };
    runs.set(run, ledger);
  }
  return ledger;
}

function record(path: string, headers: IncomingMessage['headers'], body: Buffer): void {
  const now = Date.now();
  if (path === '/ceiling') {
    ceiling.requests += 1;
    ceiling.firstAt ??= now;
    ceiling.lastAt = now;
    return;
  }
  requestCount += 1;
  const verifier = verifiers.get(path);
  if (verifier && verifyEvery > 0 && requestCount % verifyEvery === 0) {
    signaturesChecked += 1;
    try {
      verifier.verify(body, headers as Record<string, string>);
    } catch {
      signatureFailures += 1;
    }
  }
  let envelope: EnvelopeShape;
  try {
    envelope = JSON.parse(body.toString('utf8')) as EnvelopeShape;
  } catch {
    malformedOutsideRuns += 1;
    return;
  }
  const deliveryId = String(headers['webhook-id'] ?? '');
  const touched = new Map<RunLedger, number>();
  for (const event of envelope.events ?? []) {
    const id = typeof event.eventId === 'string' ? event.eventId : '';
    const cut = id.lastIndexOf('-');
    const sequence = Number(id.slice(cut + 1));
    if (cut <= 0 || !Number.isInteger(sequence)) {
      malformedOutsideRuns += 1;
      continue;
    }
    const ledger = ledgerOf(id.slice(0, cut));
    touched.set(ledger, (touched.get(ledger) ?? 0) + 1);
    const times = ledger.seen.get(sequence) ?? 0;
    ledger.seen.set(sequence, times + 1);
    if (times === 0 && typeof event.timestamp === 'number') ledger.latencies.push(now - event.timestamp);
    ledger.firstReceivedAt ??= now;
    ledger.lastReceivedAt = now;
  }
  for (const [ledger, events] of touched) {
    ledger.requests += 1;
    ledger.eventsPerRequest.push(events);
    if (ledger.deliveryIds.has(deliveryId)) ledger.repeatedDeliveries += 1;
    else ledger.deliveryIds.add(deliveryId);
  }
}

function statsOf(run: string, expected: number, listMissing: number): RunStats {
  const ledger = ledgerOf(run);
  let duplicateEvents = 0;
  let unknownEvents = 0;
  let uniqueEvents = 0;
  for (const [sequence, times] of ledger.seen) {
    if (sequence < 0 || sequence >= expected) unknownEvents += 1;
    else uniqueEvents += 1;
    duplicateEvents += times - 1;
  }
  const missingSample: number[] = [];
  for (let sequence = 0; sequence < expected && missingSample.length < listMissing; sequence += 1) {
    if (!ledger.seen.has(sequence)) missingSample.push(sequence);
  }
  return {
    run,
    requests: ledger.requests,
    uniqueDeliveries: ledger.deliveryIds.size,
    repeatedDeliveries: ledger.repeatedDeliveries,
    uniqueEvents,
    duplicateEvents,
    unknownEvents,
    missingSample,
    firstReceivedAt: ledger.firstReceivedAt,
    lastReceivedAt: ledger.lastReceivedAt,
    latencyMs: summarizeLatencies([...ledger.latencies]),
    eventsPerRequest: summarizeLatencies([...ledger.eventsPerRequest]),
    signaturesChecked,
    signatureFailures,
    malformedRequests: malformedOutsideRuns,
  };
}

function reply(message: ReceiverToDriver): void {
  process.send?.(message);
}

function handle(message: DriverToReceiver): void {
  switch (message.type) {
    case 'configure':
      verifiers.clear();
      for (const [path, secret] of Object.entries(message.secretsByPath))
        verifiers.set(path, new Webhook(secret));
      verifyEvery = message.verifyEvery;
      reply({ type: 'ack', requestId: message.requestId });
      return;
    case 'stats':
      reply({
        type: 'stats',
        requestId: message.requestId,
        stats: statsOf(message.run, message.expected, message.listMissing ?? 20),
      });
      return;
    case 'ceiling-stats':
      reply({ type: 'ceiling-stats', requestId: message.requestId, ...ceiling });
      return;
    case 'forget':
      runs.delete(message.run);
      reply({ type: 'ack', requestId: message.requestId });
      return;
  }
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    record(request.url ?? '/', request.headers, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    response.writeHead(204);
    response.end();
  });
});
// Longer than any client's idle timeout, so the sender's pool never races a server-side close.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(Number(process.env.BENCH_RECEIVER_PORT ?? 0), '127.0.0.1', () => {
  reply({ type: 'listening', port: (server.address() as AddressInfo).port });
});
process.on('message', (message: DriverToReceiver) => handle(message));
process.on('disconnect', () => server.close(() => process.exit(0)));
