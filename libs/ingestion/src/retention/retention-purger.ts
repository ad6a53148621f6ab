import type { IngestionConfig } from '@lms/config';
import { ADVISORY_LOCK, scheduleRunOnceJob, withAdvisoryLock, type RunOnceJob } from '@lms/webhook-domain';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { INGESTION_CONFIG } from '../ingestion-config.token';

const CHUNK = 5000;
// Bounded so one run cannot hold the lock (and the database's attention) indefinitely; the next run
// continues where this one stopped.
const MAX_CHUNKS_PER_RUN = 200;

export interface PurgeResult {
  deliveries: number;
  events: number;
}

// Closed deliveries only: an open one is still being worked on, and closes by itself (DEAD by age).
const DELETE_OLD_DELIVERIES = `
  DELETE FROM deliveries WHERE id IN (
    SELECT id FROM deliveries
     WHERE created_at < now() - make_interval(days => $1) AND status IN ('SUCCEEDED', 'DEAD', 'CANCELLED')
     LIMIT ${CHUNK})`;

// Old deliveries are gone by now, so a remaining delivery_events row belongs to a recent or open
// delivery (a replay, a retry): such events stay, as do events still waiting in a lane.
const DELETE_OLD_EVENTS = `
  DELETE FROM events WHERE id IN (
    SELECT e.id FROM events e
     WHERE e.received_at < now() - make_interval(days => $1)
       AND NOT EXISTS (SELECT 1 FROM delivery_events de WHERE de.event_pk = e.id)
       AND NOT EXISTS (SELECT 1 FROM lane_items li WHERE li.event_pk = e.id)
     LIMIT ${CHUNK})`;

/**
 * Deletes events and deliveries older than RETENTION_DAYS on RETENTION_CRON, in bounded chunks, by one
 * replica at a time (withAdvisoryLock, session scope: one dedicated connection for the run).
 */
@Injectable()
export class RetentionPurger implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionPurger.name);
  private job?: RunOnceJob;

  constructor(
    private readonly dataSource: DataSource,
    private readonly scheduler: SchedulerRegistry,
    @Inject(INGESTION_CONFIG) private readonly config: IngestionConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.job = scheduleRunOnceJob(
      this.scheduler,
      'retention-purge',
      { cron: this.config.retentionCron },
      async () => {
        const result = await this.purgeOnce();
        if (result && result.deliveries + result.events > 0) {
          this.logger.log(`purged ${result.deliveries} deliveries and ${result.events} events`);
        }
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.job?.stop();
  }

  /**
   * One purge run; null when another replica is purging. A session lock: the run is many short
   * transactions (chunks), so it must not hold one transaction open.
   */
  async purgeOnce(): Promise<PurgeResult | null> {
    const days = this.config.retentionDays;
    return withAdvisoryLock(
      this.dataSource,
      ADVISORY_LOCK.RETENTION_PURGE,
      async (runner) => ({
        deliveries: await this.deleteInChunks(() => runner.query(DELETE_OLD_DELIVERIES, [days])),
        events: await this.deleteInChunks(() => runner.query(DELETE_OLD_EVENTS, [days])),
      }),
      'session',
    );
  }

  /** pg answers a DELETE through TypeORM as [rows, affectedCount]. */
  private async deleteInChunks(deleteChunk: () => Promise<[unknown[], number]>): Promise<number> {
    let total = 0;
    for (let chunk = 0; chunk < MAX_CHUNKS_PER_RUN; chunk++) {
      const [, deleted] = await deleteChunk();
      total += deleted;
      if (deleted < CHUNK) break;
    }
    return total;
  }
}
