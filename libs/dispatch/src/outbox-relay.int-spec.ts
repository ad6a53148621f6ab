import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVER_JOB, DELIVERY_QUEUE } from '@lms/queue-contract';
import {
  createTestDatabase,
  insertDeliveryRow,
  insertEventRow,
  insertWebhookRow,
  waitFor,
  type TestDatabase,
  openMigratedDataSource,
} from '@lms/testing';
import { LaneAppendRepository, LaneRepository } from '@lms/webhook-domain';
import { SchedulerRegistry } from '@nestjs/schedule';
import Bull, { type Queue } from 'bull';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DeliveryEnqueuer } from './delivery-enqueuer';
import { LANE_DRIVER_LOCK_CLASS } from './lane-driver-identity';
import { OutboxRelay } from './outbox-relay';

const GRACE_MS = 300;

/**
 * The outbox relay on the real Postgres and Redis, as the dispatcher runs it (no dispatcher here, so
 * nothing else moves a lane or takes a job): what it queues, and that it queues only what has no job.
 */
describe('OutboxRelay (real Postgres and Redis)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Client;
  let queue: Queue;
  let lanes: LaneRepository;
  let appends: LaneAppendRepository;
  let relay: OutboxRelay;

  beforeAll(async () => {
    database = await createTestDatabase('outbox_relay');
    dataSource = await openMigratedDataSource(database);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    queue = new Bull(DELIVERY_QUEUE, {
      redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      prefix: `lmsw-relay-spec-${randomBytes(4).toString('hex')}`,
    });
    lanes = new LaneRepository(dataSource);
    appends = new LaneAppendRepository(dataSource);
    // Passes are run by the tests (relayOnce), not by the schedule: onApplicationBootstrap is not called.
    relay = new OutboxRelay(
      dataSource,
      new DeliveryEnqueuer(queue),
      lanes,
      new Metrics(),
      new SchedulerRegistry(),
      { relayIntervalMs: 60_000, relayGraceMs: GRACE_MS } as DispatcherConfig,
    );
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await sql?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  const newAccount = () => randomInt(100_000, 2_000_000_000);

  /** An open (PENDING) real-time request with one event, as a lane claim commits it; returns its id. */
  async function openDelivery(accountId: number, webhookId: string, id?: string): Promise<string> {
    const eventPk = await insertEventRow(sql, { accountId, eventName: 'COURSE_COMPLETED' });
    return insertDeliveryRow(sql, { id, webhookId, accountId, eventPks: [eventPk], status: 'PENDING' });
  }

  /** Passes until `probe` answers: the relay acts once the work is older than its grace period. */
  const relayUntil = <T>(what: string, probe: () => Promise<T>) =>
    waitFor(what, async () => {
      await relay.relayOnce();
      return probe();
    });

  it('queues the wake-up of a busy lane nobody moved, and again once its job was lost', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhookRow(sql, { accountId, events: ['COURSE_COMPLETED'] });
    const eventPk = await insertEventRow(sql, { accountId, eventName: 'COURSE_COMPLETED' });
    // Work added as redeliver and replay add it: the lane is woken and announced, and nobody hears it.
    const woken = await dataSource.transaction((manager) =>
      appends.append(manager, { webhookId, kind: 'REALTIME' }, [eventPk], { releaseNow: true }),
    );
    expect(woken.woken).toHaveLength(1);
    const jobId = `lane:${webhookId}:REALTIME:${woken.woken[0].activation}`;

    const job = await relayUntil('the relay to queue the wake-up', async () => queue.getJob(jobId));
    expect(job.data).toEqual({ webhookId, kind: 'REALTIME' });

    await job.remove(); // as a Redis flush would leave it
    const requeued = await relayUntil('the relay to re-queue it', async () => queue.getJob(jobId));
    expect(requeued.data).toEqual({ webhookId, kind: 'REALTIME' });
    // Same activation, same job id: a pass that finds the job in Redis re-adds nothing and says so.
    expect(await relay.relayOnce()).toBe(0);
    expect((await queue.getJobs(['waiting'])).filter((j) => j.id === jobId)).toHaveLength(1);
  });

  it('re-queues an open request whose Bull job was lost, and does not wake its lane', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhookRow(sql, { accountId, events: ['COURSE_COMPLETED'] });
    // A request a lane claim created (committed) whose job a crash or a Redis flush lost; no driver.
    const deliveryId = await openDelivery(accountId, webhookId);

    const requeued = await relayUntil('the relay to queue its deliver job', async () =>
      queue.getJob(deliveryId),
    );
    expect({ name: requeued.name, data: requeued.data as unknown }).toEqual({
      name: DELIVER_JOB,
      data: { deliveryId },
    });
    // A lane with an open request is not stuck: its next move comes when that request finishes.
    const laneJobs = (await queue.getJobs(['waiting', 'delayed'])).filter((j) =>
      String(j.id).startsWith(`lane:${webhookId}:`),
    );
    expect(laneJobs).toEqual([]);
  });

  it("re-queues an open request whose job hash Redis stranded in none of Bull's lists", async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhookRow(sql, { accountId, events: ['COURSE_COMPLETED'] });
    const deliveryId = randomUUID();
    // What a Redis restart under a running worker can leave: the job's hash, in no list Bull works from.
    await queue.add(DELIVER_JOB, { deliveryId }, { jobId: deliveryId, removeOnComplete: true });
    await queue.client.lrem(queue.toKey('wait'), 0, deliveryId);
    expect(await (await queue.getJob(deliveryId))!.getState()).toBe('stuck');
    await openDelivery(accountId, webhookId, deliveryId);

    const state = await relayUntil('the relay to queue the stranded request again', async () => {
      const job = await queue.getJob(deliveryId);
      const current = job ? await job.getState() : 'missing';
      return current === 'waiting' ? current : undefined;
    });
    expect(state).toBe('waiting');
  });

  it('leaves a request a live dispatcher drives from memory alone (it has no job, and needs none)', async () => {
    const accountId = newAccount();
    const webhookId = await insertWebhookRow(sql, { accountId, events: ['COURSE_COMPLETED'] });
    const driver = 4242;
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      // The driver lock a dispatcher holds on its wake-up connection while it is alive.
      await holder.query('SELECT pg_advisory_lock($1::int, $2::int)', [LANE_DRIVER_LOCK_CLASS, driver]);
      const deliveryId = await openDelivery(accountId, webhookId);
      await sql.query(
        `UPDATE deliveries SET driven_by = $2, next_attempt_at = now() - interval '1 minute' WHERE id = $1`,
        [deliveryId, driver],
      );

      expect(await relay.relayOnce()).toBe(0);
      expect(await queue.getJob(deliveryId)).toBeNull();
    } finally {
      await holder.end();
    }
  });
});
