import { Pool } from 'undici';

export interface CeilingResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  connections: number;
}

/**
 * The physical limit of this box for "one process POSTing to the receiver": a bare undici keep-alive
 * pool, `connections` requests in flight, no signing, no database, the same body size and headers a
 * real delivery has. Whatever the dispatcher reaches is measured against this.
 */
export async function runCeilingLoop(
  origin: string,
  body: Buffer,
  headers: Record<string, string>,
  durationMs: number,
  connections: number,
): Promise<CeilingResult> {
  const pool = new Pool(origin, { connections, keepAliveTimeout: 30_000, pipelining: 1 });
  const started = performance.now();
  const deadline = started + durationMs;
  let requests = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        const response = await pool.request({ path: '/ceiling', method: 'POST', headers, body });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) requests += 1;
        else errors += 1;
      } catch {
        errors += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { requests, errors, seconds, requestsPerSecond: Math.round(requests / seconds), connections };
}
