import type { UsageReport } from '../stack/process-sampler';

/** The process groups an operator sizes a fleet by; every sampled process falls in one. */
export const CPU_GROUPS = [
  'event-ingestion',
  'dispatcher',
  'postgres',
  'redis',
  'kafka broker',
  'receiver',
  'bench driver (producer)',
] as const;
export type CpuGroup = (typeof CPU_GROUPS)[number];

/** CPU ms per 1,000 events, per group, plus `total` (the sum of the groups). */
export type CpuMsPerThousandEvents = Partial<Record<CpuGroup | 'total', number>>;

function groupOf(name: string): CpuGroup | undefined {
  if (name.startsWith('postgres')) return 'postgres';
  if (name.startsWith('redis')) return 'redis';
  return (CPU_GROUPS as readonly string[]).includes(name) ? (name as CpuGroup) : undefined;
}

/**
 * CPU milliseconds each group spent per 1,000 events of the scenario (delivered, or persisted for
 * ingestion alone), over the whole sampling window: replicas and Postgres backends are summed, so the
 * figure is what the fleet pays per 1,000 events whatever the replica count. Postgres background
 * processes and Redis are shared with anything else running on the machine.
 */
export function cpuMsPerThousandEvents(usage: UsageReport, events: number): CpuMsPerThousandEvents {
  if (events <= 0) return {};
  const perGroup: CpuMsPerThousandEvents = {};
  let total = 0;
  for (const process of usage.processes) {
    const group = groupOf(process.name);
    if (!group) continue;
    const ms = (process.cpuMs * 1000) / events;
    perGroup[group] = (perGroup[group] ?? 0) + ms;
    total += ms;
  }
  for (const group of CPU_GROUPS) if (perGroup[group] !== undefined) perGroup[group] = round(perGroup[group]);
  return { ...perGroup, total: round(total) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
