import { LogRetention } from '@lms/dispatch';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { DataSource } from 'typeorm';

/** Which retention the bench measures (kept in the results file). */
export const RETENTION_IMPLEMENTATION =
  'partitions dropped per UTC day (deliveries and attempts by delivery id, events by event time); consumed lane items and default-partition rows by chunked DELETE (libs/dispatch LogRetention)';

/** Runs retention until a run removes nothing more; answers what each run did. */
export async function runRetention(dataSource: DataSource, retentionDays: number): Promise<unknown[]> {
  const retention = new LogRetention(dataSource, new SchedulerRegistry(), {
    retentionDays,
    retentionCron: '17 * * * *',
  });
  const runs: unknown[] = [];
  for (;;) {
    const result = await retention.runOnce();
    runs.push(result);
    if (!result) return runs;
    const { partitionsDropped, eventPartitionsDropped, deliveries, laneItems, events } = result;
    if (partitionsDropped.length + eventPartitionsDropped.length + deliveries + laneItems + events === 0)
      return runs;
  }
}
