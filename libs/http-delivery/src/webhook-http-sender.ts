import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, errors as undiciErrors } from 'undici';
import {
  connectAfterLookup,
  timedAttempt,
  timedConnector,
  timingNow,
  type AttemptTimings,
} from './attempt-timings';
import { DeliveryFailure } from './delivery-failure';
import { responseSnippet, RESPONSE_SNIPPET_BYTES } from './response-snippet';
import { parseRetryAfter } from './retry-after';
import { classifyTargetAddress } from './target-address-policy';

export interface WebhookHttpSenderOptions {
  connectTimeoutMs: number;
  /** The headers, and every pause in the body, within this once the request is sent. */
  responseTimeoutMs: number;
  /**
   * One deadline for the whole attempt: connect, headers and body together (DELIVERY_TIMEOUT_MS).
   * Absent: connectTimeoutMs + responseTimeoutMs, the longest a listener within both could take.
   */
  attemptTimeoutMs?: number;
  /** When false, every address a target resolves to is checked when the connection is made. */
  allowPrivateTargets: boolean;
  /** When false, a plain-http URL is refused before anything is sent, whenever it was saved. */
  allowHttpTargets: boolean;
  userAgent: string;
}

export interface SendRequest {
  url: string;
  body: Buffer;
  headers: Record<string, string>;
}

export interface SendOutcome {
  /** null when no response arrived (connection refused, timeout, refused target). */
  statusCode: number | null;
  durationMs: number;
  /** The start of the response body as safe, bounded text (see responseSnippet). */
  responseSnippet: string;
  /** null on a 2xx; otherwise why the attempt failed. */
  failure: DeliveryFailure | null;
  /** `failure.text`: what the delivery log records. */
  error: string | null;
  /** From a 429/503 `Retry-After` header; null when absent or unparsable. */
  retryAfterMs: number | null;
  /** When each phase happened (DNS, connect, TLS, first byte); only when asked for (`timed`). */
  timings?: AttemptTimings;
}

export interface SendOptions {
  /** Record when each phase of the attempt happened (tracing): a few listeners per request. */
  timed?: boolean;
}

/**
 * What is read of a body past the snippet so its connection can be reused; a longer body costs the
 * connection instead (destroyed), never memory or time.
 */
export const RESPONSE_DRAIN_BYTES = 64 * 1024;

/** Raised by the connector before any socket is opened to a forbidden address. */
export class TargetNotAllowedError extends Error {
  readonly failure: DeliveryFailure;
  constructor(reason: string) {
    const failure = DeliveryFailure.targetNotAllowed(reason);
    super(failure.text);
    this.failure = failure;
  }
}

type ConnectOptions = buildConnector.Options;
type Connector = buildConnector.connector;

/**
 * Sends one webhook request. One undici Agent holds a keep-alive pool per origin. Redirects are never
 * followed (undici's request does not follow them; a 3xx is reported as a failure with its status), so
 * a receiver cannot bounce us to an internal address.
 *
 * SSRF: the check runs in the connector, i.e. when a connection is actually made, after DNS: every
 * resolved address must be public, and the socket goes to the address that was checked. Checking only
 * when the URL was saved would let a DNS record be flipped to 169.254.169.254 later (DNS rebinding).
 */
export class WebhookHttpSender {
  private readonly agent: Agent;
  private readonly attemptTimeoutMs: number;
  private closing?: Promise<void>;

  constructor(private readonly options: WebhookHttpSenderOptions) {
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? options.connectTimeoutMs + options.responseTimeoutMs;
    // Timed: each new socket records its DNS, connect and TLS phases for the attempt that opens it.
    const baseConnector = timedConnector(
      buildConnector({ timeout: Math.min(options.connectTimeoutMs, this.attemptTimeoutMs) }),
    );
    this.agent = new Agent({
      connect: options.allowPrivateTargets ? baseConnector : checkedConnector(baseConnector),
      headersTimeout: options.responseTimeoutMs,
      bodyTimeout: options.responseTimeoutMs,
      keepAliveTimeout: 30_000,
      connections: 128,
    });
  }

  get userAgent(): string {
    return this.options.userAgent;
  }

  async send(request: SendRequest, options: SendOptions = {}): Promise<SendOutcome> {
    if (!options.timed) return this.sendOnce(request);
    const { result, timings } = await timedAttempt(() => this.sendOnce(request));
    return { ...result, timings };
  }

  private async sendOnce(request: SendRequest): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    // undici's headers and body timeouts restart with every chunk: a listener dripping one byte every
    // few seconds would hold the request, its connection and its lane's slot for as long as it likes.
    // Aborting destroys the request's socket, in whatever phase it is.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.attemptTimeoutMs);
    try {
      // A URL saved under a looser configuration (or written straight to the database) is checked
      // against the rules of now, like the connect-time address check.
      if (!this.options.allowHttpTargets && new URL(request.url).protocol !== 'https:') {
        throw new TargetNotAllowedError('plain http targets are not allowed (ALLOW_HTTP_TARGETS=false)');
      }
      const response = await this.agent.request({
        ...splitUrl(request.url),
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: deadline.signal,
      });
      const snippet = await readSnippet(response.body, deadline.signal);
      const statusCode = response.statusCode;
      const ok = statusCode >= 200 && statusCode < 300;
      const retryAfterHeader =
        statusCode === 429 || statusCode === 503 ? response.headers['retry-after'] : undefined;
      const failure = ok ? null : DeliveryFailure.httpStatus(statusCode);
      return {
        statusCode,
        durationMs: elapsed(),
        responseSnippet: snippet,
        failure,
        error: failure?.text ?? null,
        retryAfterMs: parseRetryAfter(
          Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader,
        ),
      };
    } catch (error) {
      const failure = deadline.signal.aborted
        ? DeliveryFailure.timeout(`no complete response within ${this.attemptTimeoutMs} ms`)
        : failureOf(error);
      return {
        statusCode: null,
        durationMs: elapsed(),
        responseSnippet: '',
        failure,
        error: failure.text,
        retryAfterMs: null,
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Idempotent: several owners may close the same sender at shutdown. */
  async close(): Promise<void> {
    this.closing ??= this.agent.close();
    await this.closing;
  }
}

function splitUrl(url: string): { origin: string; path: string } {
  const parsed = new URL(url);
  return { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
}

type ResponseBody = AsyncIterable<Buffer> & {
  dump(options: { limit: number; signal: AbortSignal }): Promise<unknown>;
};

/**
 * Keeps the start of the body for the delivery log. The rest is read and dropped up to
 * RESPONSE_DRAIN_BYTES (so the connection is reused); past that the connection is destroyed.
 */
async function readSnippet(body: ResponseBody, deadline: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > RESPONSE_SNIPPET_BYTES) break;
  }
  const truncated = size > RESPONSE_SNIPPET_BYTES;
  // The answer is in: a deadline reached while dropping the rest costs the connection, not the outcome.
  if (truncated) await body.dump({ limit: RESPONSE_DRAIN_BYTES, signal: deadline }).catch(() => undefined);
  return responseSnippet(Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES), truncated);
}

function failureOf(error: unknown): DeliveryFailure {
  if (error instanceof TargetNotAllowedError) return error.failure;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return DeliveryFailure.timeout(error.message);
  }
  if (error instanceof undiciErrors.ConnectTimeoutError) return DeliveryFailure.connectTimeout(error.message);
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    return DeliveryFailure.connectionFailed(error.message, typeof code === 'string' ? code : undefined);
  }
  return DeliveryFailure.connectionFailed(String(error));
}

/** Wraps undici's connector: resolve, refuse if any address is not public, connect to the checked one. */
function checkedConnector(base: Connector): Connector {
  return (options: ConnectOptions, callback) => {
    const host = options.hostname.replace(/^\[(.*)\]$/, '$1');
    const dnsStart = timingNow();
    resolveChecked(host).then(
      (address) => {
        // TLS still verifies the certificate against the name in the URL, not the IP we dial.
        const servername = options.servername ?? (isIP(host) === 0 ? host : undefined);
        const connect = () => base({ ...options, hostname: address, servername }, callback);
        if (isIP(host) === 0) connectAfterLookup(dnsStart, timingNow(), connect);
        else connect();
      },
      (error: Error) => callback(error, null),
    );
  };
}

async function resolveChecked(host: string): Promise<string> {
  const addresses =
    isIP(host) !== 0
      ? [host]
      : (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
  if (addresses.length === 0) throw new Error(`ENOTFOUND: ${host} did not resolve`);
  for (const address of addresses) {
    const verdict = classifyTargetAddress(address);
    // Every address must pass: with a mix, a retry or a second connection could land on the bad one.
    if (!verdict.allowed) throw new TargetNotAllowedError(`${host} → ${verdict.reason}`);
  }
  return addresses[0];
}
