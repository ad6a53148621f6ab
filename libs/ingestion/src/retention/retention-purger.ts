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
  laneItems: number;
  events: number;
}

// Closed deliveries only: an open one is still being worked on, and closes by itself (DEAD by age).
const DELETE_OLD_DELIVERIES = `
  DELETE FROM deliveries WHERE id IN (
    SELECT id FROM deliveries
     WHERE created_at < now() - make_interval(days => $1) AND status IN ('SUCCEEDED', 'DEAD', 'CANCELLED')
     LIMIT ${CHUNK})`;

// Lane items are the lanes' log (lane-protocol-v3.sql): one goes when it is old, behind its lane's
// cursor and outside every remaining delivery's range (old deliveries are gone by now; a recent one,
// a replay or a retry, keeps its items).
const DELETE_OLD_LANE_ITEMS = `
  DELETE FROM lane_items WHERE id IN (
    SELECT li.id FROM lane_items li JOIN lanes l ON l.webhook_id = li.webhook_id AND l.kind = li.kind
     WHERE li.created_at < now() - make_interval(days => $1) AND li.id <= l.claimed_upto
       AND NOT EXISTS (SELECT 1 FROM deliveries d
                        WHERE d.webhook_id = li.webhook_id AND d.kind = li.kind
                          AND li.id BETWEEN d.first_item_id AND d.last_item_id)
     LIMIT ${CHUNK})`;

// A lane item that remains (waiting, or part of a recent or open delivery) keeps its event.
const DELETE_OLD_EVENTS = `
  DELETE FROM events WHERE id IN (
    SELECT e.id FROM events e
     WHERE e.received_at < now() - make_interval(days => $1)
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
        laneItems: await this.deleteInChunks(() => runner.query(DELETE_OLD_LANE_ITEMS, [days])),
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
