// Deadlock (40P01) and serialization failure (40001): Postgres aborted one side of a conflict that a
// second try resolves. Anything else is not retried here.
const RETRIABLE_SQLSTATES: ReadonlySet<string> = new Set(['40P01', '40001']);

/**
 * Runs a statement again when Postgres aborted it to break a deadlock: lane steps, outcome writes and
 * ingestion lock rows of the same lanes and deliveries from different replicas, and re-running a
 * statement is cheaper than failing a job whose HTTP request was already sent.
 */
export async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= attempts || typeof code !== 'string' || !RETRIABLE_SQLSTATES.has(code)) throw error;
    }
  }
}
