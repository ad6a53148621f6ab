import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a dripping listener got: when it came, and when its connection went (null: still open). */
export interface DripRequest {
  arrivedAt: number;
  closedAt: number | null;
  body: string;
}

export interface DrippingListener {
  url: string;
  requests: DripRequest[];
  /** Requests whose connection is still open now. */
  openNow(): number;
  close(): Promise<void>;
}

/**
 * A listener that answers `200` and its headers at once, then one byte every `intervalMs`, for ever:
 * a per-chunk idle timeout never fires on it, only a deadline for the whole attempt ends the request.
 * Listens on 127.0.0.1 only.
 */
export async function startDrippingListener(intervalMs: number): Promise<DrippingListener> {
  const requests: DripRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const request: DripRequest = { arrivedAt: Date.now(), closedAt: null, body: '' };
    requests.push(request);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      request.body = Buffer.concat(chunks).toString('utf8');
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.flushHeaders();
      const timer = setInterval(() => res.write('x'), intervalMs);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    });
    // The sender gave up (or the connection broke): the end of this request as the listener sees it.
    res.on('close', () => {
      request.closedAt = Date.now();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    openNow: () => requests.filter((request) => request.closedAt === null).length,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The most requests open at one time, from each request's [start, end) (end null = still open). */
export function peakOverlap(intervals: ReadonlyArray<{ start: number; end: number | null }>): number {
  const edges = intervals.flatMap(({ start, end }) => [
    { at: start, delta: 1 },
    { at: end ?? Number.POSITIVE_INFINITY, delta: -1 },
  ]);
  // At the same instant an end comes before a start: a request that follows another is not overlap.
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const edge of edges) {
    open += edge.delta;
    peak = Math.max(peak, open);
  }
  return peak;
}
