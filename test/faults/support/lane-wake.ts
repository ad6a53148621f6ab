import type { AppProcess, IsolatedStack } from '@lms/testing';

/** application_name of each dispatcher's wake-up connection (LaneWakeListener), which also holds its driver lock. */
export const LANE_WAKE_APPLICATION = 'lmsw-lane-wake';

/** The backends of the stack's wake-up connections now (one per listening dispatcher). */
export async function laneWakeBackends(stack: IsolatedStack): Promise<number[]> {
  const rows = await stack.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = $2 ORDER BY pid`,
    [LANE_WAKE_APPLICATION, stack.database.name],
  );
  return rows.map((row) => row.pid);
}

/** Terminates every wake-up connection of the stack's dispatchers (their driver locks go with them); answers the backends cut. */
export async function terminateLaneWakeConnections(stack: IsolatedStack): Promise<number[]> {
  const rows = await stack.query<{ pid: number; ok: boolean }>(
    `SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity
      WHERE application_name = $1 AND datname = $2`,
    [LANE_WAKE_APPLICATION, stack.database.name],
  );
  return rows.filter((row) => row.ok).map((row) => row.pid);
}

/** One unlabelled sample of an app's /metrics (undefined when the series is absent or the app does not answer). */
export async function appMetric(app: AppProcess, name: string): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${app.port}/metrics`).catch(() => undefined);
  if (response?.status !== 200) return undefined;
  const line = (await response.text()).split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** The sum of a labelled counter's samples on an app's /metrics (e.g. every `source` of a counter). */
export async function appMetricSum(app: AppProcess, name: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${app.port}/metrics`).catch(() => undefined);
  if (response?.status !== 200) return 0;
  return (await response.text())
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
