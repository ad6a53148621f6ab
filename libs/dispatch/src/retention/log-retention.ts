import type { DispatcherConfig } from '@lms/config';
import { ADVISORY_LOCK, scheduleRunOnceJob, withAdvisoryLock, type RunOnceJob } from '@lms/webhook-domain';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { DISPATCHER_CONFIG } from '../dispatch-tokens';

/**
 * Days of partitions kept ready ahead of today (UTC). Created on every run (hourly by default), so
 * tomorrow's partitions exist a day before their first row (a day of hourly retries if a run cannot
 * get the locks). Not more: every partition, empty or not, costs each statement that cannot prune at
 * plan time (the dispatcher's outcome UPDATE over a list of ids) ~0.05 ms of planning and executor
 * start-up (measured: 0.31 ms a call unpartitioned, 0.53 with 4 partitions, 0.88 with 13).
 */
export const LOG_PARTITION_DAYS_AHEAD = 1;

/**
 * How long a partition change waits for the tables' locks before giving up until the next run: the
 * lock queues every statement on the table behind it, so a long wait would stall the dispatcher.
 */
const LOCK_TIMEOUT = '1s';

const CHUNK = 5000;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';
// Bounded so one run cannot hold the lock (and the database's attention) indefinitely; the next run
// continues where this one stopped.
const MAX_CHUNKS_PER_RUN = 200;

export interface LogRetentionResult {
  /** Days (YYYY-MM-DD) whose partitions (of the delivery log, of events, or both) this run created. */
  partitionsCreated: string[];
  /** Days whose delivery log partitions (deliveries, attempts) this run dropped. */
  partitionsDropped: string[];
  /** Days whose events partition this run dropped. */
  eventPartitionsDropped: string[];
  /** Days whose partitions could not be changed this run (lock not granted in time): tried next run. */
  partitionsDeferred: string[];
  /** Rows of still-open deliveries moved out of dropped partitions (into the default partitions). */
  openRowsKept: number;
  /** Events of dropped days that lane items still name, moved into the default partition of events. */
  eventsKept: number;
  /** Deliveries deleted row by row from the default partitions (ids from before time-ordered ids). */
  deliveries: number;
  /** Consumed lane items deleted (behind their lane's cursor, in no remaining request). */
  laneItems: number;
  /** Events deleted row by row from the default partition (timestamps outside every day's partition). */
  events: number;
  /** Time spent on partitions (create ahead, drop expired) and on row deletes, in ms. */
  partitionsMs: number;
  rowDeletesMs: number;
}

/**
 * A chunked delete: the rows `doomed` selects (at most CHUNK, in key order, keys after $2) go; the
 * statement answers how many went and the last key, where the next chunk starts. Walking the key
 * keeps a run linear: a chunk that started from the beginning again would step over every row the
 * previous chunks deleted (dead until VACUUM), which made a run over 1,000,000 rows quadratic.
 */
const chunkDelete = (table: string, key: string, doomed: string) => `
  WITH doomed AS (${doomed}),
  gone AS (DELETE FROM ${table} t USING doomed WHERE t.${key} = doomed.${key} RETURNING t.${key})
  SELECT (SELECT count(*) FROM gone)::int AS deleted,
         (SELECT d.${key}::text FROM doomed d ORDER BY d.${key} DESC LIMIT 1) AS last`;

// The default partition holds deliveries whose ids are not time-ordered (made before the partitioned
// log) and the open deliveries kept from dropped days: closed and old, they go row by row (their
// attempts with them, ON DELETE CASCADE).
const DELETE_OLD_DEFAULT_DELIVERIES = chunkDelete(
  'deliveries_default',
  'id',
  `SELECT id FROM deliveries_default
    WHERE id > $2::uuid AND created_at < now() - make_interval(days => $1)
      AND status IN ('SUCCEEDED', 'DEAD', 'CANCELLED')
    ORDER BY id LIMIT ${CHUNK}`,
);

// Lane items are the lanes' log (lane-protocol-v3.sql); a request's events are its range of them. Per
// lane, the items below `bound` are consumed (behind the cursor) and in no remaining request (below the
// first item of the lane's oldest remaining one): read in one statement, so one snapshot. A request
// made after it starts past the cursor it read, so it is above the bound.
const LANE_BOUNDS = `
  CREATE TEMP TABLE retention_lane_bounds AS
  SELECT l.webhook_id, l.kind, least(l.claimed_upto + 1, min(d.first_item_id)) AS bound
    FROM lanes l LEFT JOIN deliveries d ON d.webhook_id = l.webhook_id AND d.kind = l.kind
   GROUP BY l.webhook_id, l.kind, l.claimed_upto`;

// A lane item's key is (webhook_id, kind, id) (lane-plans.sql): the chunks walk that key, lane by lane,
// each starting after the last item the previous one deleted ($2, $3, $4), so a run stays linear.
const DELETE_OLD_LANE_ITEMS = `
  WITH doomed AS (
    SELECT li.webhook_id, li.kind, li.id
      FROM lane_items li JOIN retention_lane_bounds b ON b.webhook_id = li.webhook_id AND b.kind = li.kind
     WHERE (li.webhook_id, li.kind, li.id) > ($2::uuid, $3::varchar, $4::bigint)
       AND li.id < b.bound AND li.created_at < now() - make_interval(days => $1)
     ORDER BY li.webhook_id, li.kind, li.id LIMIT ${CHUNK}
  ),
  gone AS (
    DELETE FROM lane_items t USING doomed
     WHERE (t.webhook_id, t.kind, t.id) = (doomed.webhook_id, doomed.kind, doomed.id) RETURNING t.id
  )
  SELECT (SELECT count(*) FROM gone)::int AS deleted,
         (SELECT json_build_object('webhookId', d.webhook_id, 'kind', d.kind, 'id', d.id::text)
            FROM doomed d ORDER BY d.webhook_id DESC, d.kind DESC, d.id DESC LIMIT 1) AS last`;

// Events are partitioned by their own timestamp (event-partitions-sql.ts) and dropped a day at a time;
// the default partition holds timestamps outside every day's partition and the events kept from
// dropped days: old ones no lane item names any more (so no remaining request and no lane) go row by row.
const DELETE_OLD_EVENTS = chunkDelete(
  'events_default',
  'id',
  `SELECT e.id FROM events_default e
    WHERE e.id > $2::bigint AND e.received_at < now() - make_interval(days => $1)
      AND NOT EXISTS (SELECT 1 FROM lane_items li WHERE li.event_occurred_at = e.occurred_at AND li.event_pk = e.id)
    ORDER BY e.id LIMIT ${CHUNK}`,
);

/** Partition changes wait at most LOCK_TIMEOUT for their locks while `work` runs on this session. */
async function withLockTimeout(runner: QueryRunner, work: () => Promise<void>): Promise<void> {
  await runner.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
  try {
    await work();
  } finally {
    await runner.query('RESET lock_timeout');
  }
}

/** What differs between the two partitioned families whose expired days retention drops. */
interface PartitionFamily {
  /** The SQL function listing the days the family has partitions for. */
  daysFunction: 'log_partition_days' | 'event_partition_days';
  /** The tables locked before a day's kept rows are chosen, in the order their writers take them. */
  lockedTables: (runner: QueryRunner) => Promise<string[]>;
  /** The SQL function dropping one day; answers the rows it kept (moved to the default partitions). */
  dropFunction: 'log_partitions_drop' | 'event_partitions_drop';
  recordDropped: (result: LogRetentionResult, day: string, kept: number) => void;
}

/**
 * Deliveries and attempts: the parents' locks first, in one order (the dispatcher writes deliveries,
 * then attempts), so nobody writes a row of an open delivery while it moves to the default partition.
 */
const DELIVERY_LOG_FAMILY: PartitionFamily = {
  daysFunction: 'log_partition_days',
  lockedTables: async (runner) =>
    (
      (await runner.query(`SELECT name FROM log_partitioned_tables() ORDER BY ord`)) as Array<{
        name: string;
      }>
    ).map((table) => table.name),
  dropFunction: 'log_partitions_drop',
  recordDropped: (result, day, kept) => {
    result.partitionsDropped.push(day);
    result.openRowsKept += kept;
  },
};

/**
 * Events, by event time: locked so no lane item can be added for an event of the day while the ones
 * lane items still name are chosen.
 */
const EVENTS_FAMILY: PartitionFamily = {
  daysFunction: 'event_partition_days',
  lockedTables: async () => ['events'],
  dropFunction: 'event_partitions_drop',
  recordDropped: (result, day, kept) => {
    result.eventPartitionsDropped.push(day);
    result.eventsKept += kept;
  },
};

/**
 * Keeps the delivery log bounded: on RETENTION_CRON, by one dispatcher replica at a time (a session
 * advisory lock), it creates the next days' partitions of deliveries, attempts and events, drops the
 * delivery log's partitions of days entirely older than RETENTION_DAYS (keeping the rows of deliveries
 * still open), deletes old rows of the default partitions and old consumed lane items no remaining
 * request names in bounded chunks, and then drops the events partitions of expired days (keeping the
 * events lane items still name). The layouts are described in the PartitionedDeliveryLog and
 * PartitionedEvents migrations.
 */
@Injectable()
export class LogRetention implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(LogRetention.name);
  private job?: RunOnceJob;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    @Inject(DISPATCHER_CONFIG)
    private readonly config: Pick<DispatcherConfig, 'retentionDays' | 'retentionCron'>,
  ) {}

  onApplicationBootstrap(): void {
    this.job = scheduleRunOnceJob(
      this.scheduler,
      'log-retention',
      { cron: this.config.retentionCron },
      async () => {
        const result = await this.runOnce();
        if (!result) return;
        const { partitionsCreated, partitionsDropped, eventPartitionsDropped, partitionsDeferred } = result;
        const { deliveries, laneItems, events, eventsKept } = result;
        const changed = partitionsCreated.length + partitionsDropped.length + eventPartitionsDropped.length;
        if (changed + deliveries + laneItems + events > 0) {
          this.logger.log(
            `partitions created ${partitionsCreated.join(', ') || 'none'}, ` +
              `delivery log days dropped ${partitionsDropped.join(', ') || 'none'}, ` +
              `event days dropped ${eventPartitionsDropped.join(', ') || 'none'} (${eventsKept} events kept); ` +
              `deleted ${deliveries} deliveries, ${laneItems} lane items and ${events} events`,
          );
        }
        if (partitionsDeferred.length > 0) {
          this.logger.warn(
            `partitions of ${partitionsDeferred.join(', ')} left for the next run (tables busy)`,
          );
        }
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }

  /**
   * One run; null when another replica is running it. A session lock: the run is many short
   * transactions (a day's partitions, a chunk of rows), never one long one.
   */
  async runOnce(): Promise<LogRetentionResult | null> {
    const days = this.config.retentionDays;
    return withAdvisoryLock(
      this.dataSource,
      ADVISORY_LOCK.RETENTION_PURGE,
      async (runner) => {
        const result: LogRetentionResult = {
          partitionsCreated: [],
          partitionsDropped: [],
          eventPartitionsDropped: [],
          partitionsDeferred: [],
          openRowsKept: 0,
          eventsKept: 0,
          deliveries: 0,
          laneItems: 0,
          events: 0,
          partitionsMs: 0,
          rowDeletesMs: 0,
        };
        const started = performance.now();
        await withLockTimeout(runner, async () => {
          await this.createAhead(runner, result);
          await this.dropExpired(runner, days, result, DELIVERY_LOG_FAMILY);
        });
        const partitionsDone = performance.now();
        result.partitionsMs = Math.round(partitionsDone - started);
        result.deliveries = await this.deleteInChunks(runner, DELETE_OLD_DEFAULT_DELIVERIES, days, NIL_UUID);
        await runner.query(LANE_BOUNDS);
        await runner.query(`CREATE UNIQUE INDEX ON retention_lane_bounds (webhook_id, kind)`);
        await runner.query(`ANALYZE retention_lane_bounds`);
        try {
          result.laneItems = await this.deleteLaneItemsInChunks(runner, days);
        } finally {
          await runner.query('DROP TABLE retention_lane_bounds');
        }
        result.events = await this.deleteInChunks(runner, DELETE_OLD_EVENTS, days, '0');
        const rowsDone = performance.now();
        result.rowDeletesMs = Math.round(rowsDone - partitionsDone);
        // After the lane items: an event of an expired day that an item still names is kept, so the
        // items that can go must be gone first (or the whole day would be copied to the default).
        await withLockTimeout(runner, () => this.dropExpired(runner, days, result, EVENTS_FAMILY));
        result.partitionsMs += Math.round(performance.now() - rowsDone);
        return result;
      },
      'session',
    );
  }

  private async createAhead(runner: QueryRunner, result: LogRetentionResult): Promise<void> {
    const days = (await runner.query(
      `SELECT to_char((now() AT TIME ZONE 'UTC')::date + d, 'YYYY-MM-DD') AS day FROM generate_series(0, $1) d`,
      [LOG_PARTITION_DAYS_AHEAD],
    )) as Array<{ day: string }>;
    for (const { day } of days) {
      const created = await this.partitionChange(runner, day, result, async () => {
        const [row] = (await runner.query(
          `SELECT log_partitions_create($1::date) AS log, event_partitions_create($1::date) AS events`,
          [day],
        )) as Array<{ log: boolean; events: boolean }>;
        return row.log || row.events;
      });
      if (created) result.partitionsCreated.push(day);
    }
  }

  /**
   * Drops the family's days whose whole range is older than the cutoff (the newest row they can hold
   * is past retention), each in its own transaction with the family's tables locked first.
   */
  private async dropExpired(
    runner: QueryRunner,
    retentionDays: number,
    result: LogRetentionResult,
    family: PartitionFamily,
  ): Promise<void> {
    const days = (await runner.query(
      `SELECT to_char(d, 'YYYY-MM-DD') AS day FROM ${family.daysFunction}() d
        WHERE (d + 1)::timestamp AT TIME ZONE 'UTC' <= now() - make_interval(days => $1)
        ORDER BY d`,
      [retentionDays],
    )) as Array<{ day: string }>;
    for (const { day } of days) {
      let kept = 0;
      const dropped = await this.partitionChange(runner, day, result, async () => {
        const tables = await family.lockedTables(runner);
        await runner.query(`LOCK TABLE ${tables.join(', ')} IN ACCESS EXCLUSIVE MODE`);
        const [row] = (await runner.query(`SELECT ${family.dropFunction}($1::date) AS kept`, [
          day,
        ])) as Array<{
          kept: string;
        }>;
        kept = Number(row.kept);
        return true;
      });
      if (dropped) family.recordDropped(result, day, kept);
    }
  }

  /**
   * One day's partition change in its own transaction. A lock not granted within LOCK_TIMEOUT defers
   * the day to the next run (false); any other error fails the run.
   */
  private async partitionChange(
    runner: QueryRunner,
    day: string,
    result: LogRetentionResult,
    change: () => Promise<boolean>,
  ): Promise<boolean> {
    await runner.startTransaction();
    try {
      const changed = await change();
      await runner.commitTransaction();
      return changed;
    } catch (error) {
      await runner.rollbackTransaction();
      if ((error as { code?: string }).code === '55P03') {
        result.partitionsDeferred.push(day);
        return false;
      }
      throw error;
    }
  }

  /** DELETE_OLD_LANE_ITEMS from the first key on, chunk after chunk; answers the rows deleted. */
  private async deleteLaneItemsInChunks(runner: QueryRunner, days: number): Promise<number> {
    let total = 0;
    let after = { webhookId: NIL_UUID, kind: '', id: '0' };
    for (let chunk = 0; chunk < MAX_CHUNKS_PER_RUN; chunk++) {
      const [{ deleted, last }] = (await runner.query(DELETE_OLD_LANE_ITEMS, [
        days,
        after.webhookId,
        after.kind,
        after.id,
      ])) as Array<{ deleted: number; last: typeof after | null }>;
      total += deleted;
      if (last === null || deleted < CHUNK) break;
      after = last;
    }
    return total;
  }

  /** Runs a chunkDelete statement from the first key on, chunk after chunk; answers the rows deleted. */
  private async deleteInChunks(
    runner: QueryRunner,
    statement: string,
    days: number,
    first: string,
  ): Promise<number> {
    let total = 0;
    let after = first;
    for (let chunk = 0; chunk < MAX_CHUNKS_PER_RUN; chunk++) {
      const [{ deleted, last }] = (await runner.query(statement, [days, after])) as Array<{
        deleted: number;
        last: string | null;
      }>;
      total += deleted;
      if (last === null || deleted < CHUNK) break;
      after = last;
    }
    return total;
  }
}
