import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  /** The request target as sent (path and query). */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as UTF-8 text; `rawBody` holds the exact bytes. */
  body: string;
  rawBody: Buffer;
  receivedAt: number;
}

export interface ListenerReply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer only after this many ms (to exercise timeouts). */
  delayMs?: number;
}

/** `NO_ANSWER`: keep the request open without a response, so the sender's response timeout fires. */
export const NO_ANSWER = 'no answer';

export type ListenerBehaviour = (request: ReceivedRequest, index: number) => ListenerReply | typeof NO_ANSWER;

export interface TestListener {
  /** `origin` + `/hooks`: a ready-made target URL. */
  url: string;
  /** `http://127.0.0.1:<port>`, for targets with a path of the test's choosing. */
  origin: string;
  port: number;
  /** Every request so far, in arrival order (tests may empty it between cases). */
  requests: ReceivedRequest[];
  /** Change how the listener answers from now on. */
  behave(behaviour: ListenerBehaviour): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** A real HTTP listener on 127.0.0.1 (ephemeral port) that records every request, as a receiving server would. */
export async function startListener(
  behaviour: ListenerBehaviour = () => ({ status: 204 }),
): Promise<TestListener> {
  const requests: ReceivedRequest[] = [];
  let current = behaviour;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const request: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: rawBody.toString('utf8'),
        rawBody,
        receivedAt: Date.now(),
      };
      requests.push(request);
      const reply = current(request, requests.length - 1);
      if (reply === NO_ANSWER) return;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body ?? '');
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/hooks`,
    origin,
    port,
    requests,
    behave: (next) => {
      current = next;
    },
    waitForRequests: async (count, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        if (Date.now() > deadline) {
          throw new Error(
            `listener got ${requests.length} requests, expected ${count} within ${timeoutMs} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return requests.slice(0, count);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A behaviour that answers every request with this status and JSON body. */
export function answerJson(status: number, body: string): ListenerBehaviour {
  return () => ({ status, headers: { 'content-type': 'application/json' }, body });
}
