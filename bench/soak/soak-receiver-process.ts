// The soak's listeners, one path per account (`/soak/<accountId>`), each answering as its kind says:
// healthy at once, slow after 300 ms, flaky 500 on one request in five, failing always 503. Counts
// every event of the soak run by sequence (one byte each), checks each webhook's order on first
// receipt, and keeps the healthy accounts' latencies per window. Runs as a child of the soak driver.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LatencyHistogram } from './latency-histogram';
import { FLAKY_EVERY, SLOW_ANSWER_MS, type ListenerKind, type SoakPlan } from './soak-plan';
import type { DriverToSoakReceiver, SoakReceiverToDriver, SoakTotals, SoakWindow } from './soak-protocol';

interface AccountLedger {
  kind: ListenerKind;
  requests: number;
  /** Highest sequence received / acknowledged for the first time so far: a lower one after it is out of order. */
  lastFirstReceived: number;
  lastFirstAcknowledged: number;
}

const byKind = (): Record<ListenerKind, number> => ({ healthy: 0, slow: 0, flaky: 0, failing: 0 });

let plan: SoakPlan = { accounts: [], rotation: [] };
let run = 'soak';
let warmUpRun = 'warm';
const accounts = new Map<number, AccountLedger>();
/** Per sequence of the soak run: bit 0 received, bits 1..7 acknowledged copies (saturating). */
let ledger = new Uint8Array(0);
const warmUpAcknowledged = new Set<string>();
let duplicates = 0;
let unknownEvents = 0;
const statuses: Record<string, number> = {};
const requestsTotal = byKind();
const violations = { firstReceived: 0, firstAcknowledged: 0 };
const violationSample: string[] = [];
let window = openWindow();

function openWindow(): {
  startedAt: number;
  latency: LatencyHistogram;
  delivered: Record<ListenerKind, number>;
  requests: Record<ListenerKind, number>;
} {
  return { startedAt: Date.now(), latency: new LatencyHistogram(), delivered: byKind(), requests: byKind() };
}

function answerOf(account: AccountLedger): { status: number; delayMs: number } {
  switch (account.kind) {
    case 'healthy':
      return { status: 204, delayMs: 0 };
    case 'slow':
      return { status: 204, delayMs: SLOW_ANSWER_MS };
    case 'flaky':
      return { status: account.requests % FLAKY_EVERY === 0 ? 500 : 204, delayMs: 0 };
    case 'failing':
      return { status: 503, delayMs: 0 };
  }
}

interface EnvelopeShape {
  events?: { eventId?: unknown; timestamp?: unknown }[];
}

function record(accountId: number, account: AccountLedger, body: Buffer, acknowledged: boolean): void {
  let envelope: EnvelopeShape;
  try {
    envelope = JSON.parse(body.toString('utf8')) as EnvelopeShape;
  } catch {
    unknownEvents += 1;
    return;
  }
  const now = Date.now();
  for (const event of envelope.events ?? []) {
    const id = typeof event.eventId === 'string' ? event.eventId : '';
    const cut = id.lastIndexOf('-');
    const eventRun = id.slice(0, cut);
    const sequence = Number(id.slice(cut + 1));
    if (eventRun === warmUpRun) {
      if (acknowledged) warmUpAcknowledged.add(id);
      continue;
    }
    if (eventRun !== run || !Number.isInteger(sequence) || sequence < 0 || sequence >= ledger.length) {
      unknownEvents += 1;
      continue;
    }
    const state = ledger[sequence];
    if ((state & 1) === 0) {
      if (sequence < account.lastFirstReceived)
        violation('firstReceived', accountId, sequence, account.lastFirstReceived);
      else account.lastFirstReceived = sequence;
    }
    let copies = state >> 1;
    if (acknowledged) {
      if (copies === 0) {
        if (sequence < account.lastFirstAcknowledged)
          violation('firstAcknowledged', accountId, sequence, account.lastFirstAcknowledged);
        else account.lastFirstAcknowledged = sequence;
        window.delivered[account.kind] += 1;
        if (account.kind === 'healthy' && typeof event.timestamp === 'number')
          window.latency.record(now - event.timestamp);
      } else duplicates += 1;
      copies = Math.min(127, copies + 1);
    }
    ledger[sequence] = (copies << 1) | 1;
  }
}

function violation(
  which: 'firstReceived' | 'firstAcknowledged',
  accountId: number,
  sequence: number,
  after: number,
): void {
  violations[which] += 1;
  if (violationSample.length < 5)
    violationSample.push(
      `account ${accountId}: ${run}-${sequence} ${which === 'firstReceived' ? 'received' : 'acknowledged'} first after ${run}-${after}`,
    );
}

function closeWindow(): SoakWindow {
  const closed = window;
  window = openWindow();
  return {
    startedAt: closed.startedAt,
    endedAt: window.startedAt,
    healthyLatency: closed.latency.toSparse(),
    delivered: closed.delivered,
    requests: closed.requests,
  };
}

function totals(produced: number): SoakTotals {
  const kindOf = new Map(plan.accounts.map((account) => [account.accountId, account.kind]));
  const delivered = byKind();
  const missing = byKind();
  const missingSample: string[] = [];
  const rotation = plan.rotation;
  for (let sequence = 0; sequence < Math.min(produced, ledger.length); sequence += 1) {
    const kind = kindOf.get(rotation[sequence % rotation.length]) ?? 'healthy';
    if (ledger[sequence] >> 1 > 0) delivered[kind] += 1;
    else {
      missing[kind] += 1;
      if (kind !== 'failing' && missingSample.length < 10) missingSample.push(`${run}-${sequence} (${kind})`);
    }
  }
  return {
    delivered,
    missing,
    duplicates,
    requests: { ...requestsTotal },
    statuses: { ...statuses },
    orderViolations: { ...violations },
    orderViolationSample: [...violationSample],
    missingSample,
    warmUpDelivered: warmUpAcknowledged.size,
    unknownEvents,
  };
}

function reply(message: SoakReceiverToDriver): void {
  process.send?.(message);
}

function handle(message: DriverToSoakReceiver): void {
  switch (message.type) {
    case 'configure':
      plan = message.plan;
      run = message.run;
      warmUpRun = message.warmUpRun;
      ledger = new Uint8Array(message.events);
      accounts.clear();
      for (const { accountId, kind } of plan.accounts)
        accounts.set(accountId, { kind, requests: 0, lastFirstReceived: -1, lastFirstAcknowledged: -1 });
      window = openWindow();
      reply({ type: 'ack', requestId: message.requestId });
      return;
    case 'window':
      reply({ type: 'window', requestId: message.requestId, window: closeWindow() });
      return;
    case 'totals':
      reply({ type: 'totals', requestId: message.requestId, totals: totals(message.produced) });
      return;
  }
}

const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const accountId = Number(/^\/soak\/(\d+)$/.exec(request.url ?? '')?.[1]);
    const account = accounts.get(accountId);
    if (!account) {
      response.writeHead(404).end();
      return;
    }
    account.requests += 1;
    requestsTotal[account.kind] += 1;
    window.requests[account.kind] += 1;
    const { status, delayMs } = answerOf(account);
    statuses[status] = (statuses[status] ?? 0) + 1;
    // Counted when the answer is decided: 300 ms is far inside the dispatcher's response timeout.
    record(accountId, account, Buffer.concat(chunks), status >= 200 && status < 300);
    const answer = () => response.writeHead(status).end();
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  reply({ type: 'listening', port: (server.address() as AddressInfo).port });
});
process.on('message', (message: DriverToSoakReceiver) => handle(message));
process.on('disconnect', () => server.close(() => process.exit(0)));
