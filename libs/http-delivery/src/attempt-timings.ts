import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { buildConnector } from 'undici';

/**
 * When the phases of one HTTP attempt happened, in epoch milliseconds (fractional), read from the
 * socket's own events and undici's diagnostics channels. A phase that did not happen is absent: no
 * DNS lookup for an IP target, no connect or TLS on a reused keep-alive connection.
 */
export interface AttemptTimings {
  /** The attempt began (before any connection or lookup). */
  start: number;
  /** The request went out on a connection it opened itself (false: a reused keep-alive connection). */
  newConnection: boolean;
  dnsStart?: number;
  dnsEnd?: number;
  connectStart?: number;
  /** TCP connected (the socket's `connect`). */
  connectEnd?: number;
  /** TLS handshake done (the socket's `secureConnect`); https only. */
  tlsEnd?: number;
  /** The request headers were written to the socket. */
  requestSent?: number;
  /** The response's first bytes arrived (its status line and headers parsed). */
  firstByte?: number;
}

/** The connection phases of a socket, recorded by the connector, handed to the request that uses it first. */
interface ConnectionTimings {
  dnsStart?: number;
  dnsEnd?: number;
  connectStart: number;
  connectEnd?: number;
  tlsEnd?: number;
  /** A request already reported these: later requests on the socket reuse the connection. */
  claimed: boolean;
}

type Connector = buildConnector.connector;
type ConnectOptions = buildConnector.Options;

const epochMs = () => performance.timeOrigin + performance.now();

const attempts = new AsyncLocalStorage<AttemptTimings>();
const byRequest = new WeakMap<object, AttemptTimings>();
const byConnection = new WeakMap<object, ConnectionTimings>();
/** A DNS lookup the connector made itself (the SSRF check) before the socket existed. */
const lookups = new AsyncLocalStorage<{ dnsStart?: number; dnsEnd?: number }>();
let subscribed = false;

/**
 * undici publishes `request:create` synchronously inside `agent.request()`, so the attempt in the async
 * context then is the one that made the request; later events of the request (sent on whatever
 * connection, maybe after waiting in the queue) are matched by the request object.
 */
function subscribeOnce(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('undici:request:create', (message) => {
    const timings = attempts.getStore();
    if (timings !== undefined) byRequest.set((message as { request: object }).request, timings);
  });
  subscribe('undici:client:sendHeaders', (message) => {
    const { request, socket } = message as { request: object; socket: object };
    const timings = byRequest.get(request);
    if (timings === undefined) return;
    timings.requestSent = epochMs();
    const connection = byConnection.get(socket);
    if (connection === undefined || connection.claimed) return;
    connection.claimed = true;
    timings.newConnection = true;
    const { claimed: _claimed, ...phases } = connection;
    Object.assign(timings, phases);
  });
  subscribe('undici:request:headers', (message) => {
    const timings = byRequest.get((message as { request: object }).request);
    if (timings !== undefined && timings.firstByte === undefined) timings.firstByte = epochMs();
  });
}

/** Runs one attempt with its phases recorded into the answer's timings. */
export async function timedAttempt<T>(
  run: () => Promise<T>,
): Promise<{ result: T; timings: AttemptTimings }> {
  subscribeOnce();
  const timings: AttemptTimings = { start: epochMs(), newConnection: false };
  const result = await attempts.run(timings, run);
  return { result, timings };
}

/**
 * Wraps a connector so each new socket carries when its phases happened: DNS (the socket's `lookup`, or
 * the wrapped lookup of `resolve` when the connector resolves the name itself), TCP `connect`, TLS
 * `secureConnect`. Costs a few listeners per connection, nothing per request.
 */
export function timedConnector(base: Connector): Connector {
  return (options: ConnectOptions, callback) => {
    const resolved = lookups.getStore();
    const connection: ConnectionTimings = {
      ...(resolved?.dnsStart !== undefined ? { dnsStart: resolved.dnsStart, dnsEnd: resolved.dnsEnd } : {}),
      connectStart: epochMs(),
      claimed: false,
    };
    const https = options.protocol === 'https:';
    const socket = base(options, (error, connected) => {
      // undici's own listener runs first and sends at once: the phase ends here, not in a later listener.
      if (error === null && connected !== null) {
        const at = epochMs();
        connection.connectEnd ??= at;
        if (https) connection.tlsEnd = at;
      }
      (callback as (error: Error | null, socket: typeof connected) => void)(error, connected);
    }) as unknown as Socket | undefined;
    if (socket !== undefined && typeof socket.once === 'function') {
      byConnection.set(socket, connection);
      socket.once('lookup', () => {
        connection.dnsStart = connection.connectStart;
        connection.dnsEnd = epochMs();
      });
      // Before the TLS handshake of an https connection: the TCP phase alone.
      if (https) socket.once('connect', () => (connection.connectEnd = epochMs()));
    }
  };
}

/** The current time as the timings count it (epoch ms, fractional). */
export function timingNow(): number {
  return epochMs();
}

/**
 * Opens a connection after a name lookup the connector made itself (the SSRF check resolves before
 * connecting): the socket's timings then carry that lookup as their DNS phase.
 */
export function connectAfterLookup(dnsStart: number, dnsEnd: number, connect: () => void): void {
  lookups.run({ dnsStart, dnsEnd }, connect);
}
