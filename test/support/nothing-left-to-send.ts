import type { Client, Pool } from 'pg';
import { OPEN_DELIVERY_STATUSES_SQL } from '@lms/webhook-domain';
import { waitFor } from './wait-for';

/**
 * Waits until an account has nothing left that could be sent: no delivery open (PENDING or RETRYING:
 * a retry, a re-send or the next request of a lane) and no lane of its webhooks busy. A request is
 * received before its outcome is written, so from then on the listener has seen every request it will
 * ever get: the observable point to assert "nothing more arrived", instead of a pause on the clock.
 */
export async function waitUntilNothingLeftToSend(
  sql: Pool | Client,
  accountId: number,
  timeoutMs = 30_000,
): Promise<void> {
  await waitFor(
    `account ${accountId} to have no open delivery and no busy lane`,
    async () => {
      const result = await sql.query<{ open: number }>(
        `SELECT (SELECT count(*)::int FROM deliveries WHERE account_id = $1 AND status IN ${OPEN_DELIVERY_STATUSES_SQL})
              + (SELECT count(*)::int FROM lanes l JOIN webhooks w ON w.id = l.webhook_id
                  WHERE w.account_id = $1 AND l.busy) AS open`,
        [accountId],
      );
      return result.rows[0].open === 0;
    },
    timeoutMs,
    50,
  );
}
