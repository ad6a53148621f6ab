import { InjectQueue } from '@nestjs/bull';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import { DELIVERY_QUEUE, enqueueLaneWakeUps, enqueueMissingDeliveries } from '@lms/queue-contract';
import { LANE_WAKE_CHANNEL, LaneRepository, type LaneKey } from '@lms/webhook-domain';
import type { Queue } from 'bull';
import { Client, type Notification } from 'pg';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { LaneAdvancer } from './lane-advancer';
import { LaneDriver } from './lane-driver';
import { LANE_DRIVER_LOCK_CLASS, LaneDriverIdentity } from './lane-driver-identity';
import { laneOwner } from './lane-ownership';

/** How often each dispatcher looks for busy lanes nobody moves (a lost announcement), and from when. */
export const LANE_SWEEP_INTERVAL_MS = 2_000;
export const LANE_SWEEP_GRACE_MS = 1_000;
const LANE_SWEEP_MAX_LANES = 500;
const RECONNECT_DELAY_MS = 1_000;

/** A lane announced on LANE_WAKE_CHANNEL: `<webhookId>:<kind>:<epoch ms of the announcing statement>`. */
export function parseLaneWakeUp(payload: string | undefined): (LaneKey & { announcedAtMs: number }) | null {
  const [webhookId, kind, at] = (payload ?? '').split(':');
  if (!/^[0-9a-f-]{36}$/i.test(webhookId ?? '') || (kind !== 'REALTIME' && kind !== 'BATCH')) return null;
  const announcedAtMs = Number(at);
  return { webhookId, kind, announcedAtMs: Number.isFinite(announcedAtMs) ? announcedAtMs : Date.now() };
}

/**
 * Wake-ups without Redis: the commit that adds work to an idle lane announces it (NOTIFY on
 * LANE_WAKE_CHANNEL, delivered only after the commit), and this dispatcher claims the lane's next
 * request with its events and drives the lane (LaneDriver) at once. Every replica hears every
 * announcement and the one that owns the lane (laneOwner over the live dispatchers) answers it; the
 * lane's row lock is what makes exactly one claim create requests, whoever tries.
 *
 * The net for an announcement nobody heard (no dispatcher listening, a connection lost): a sweep every
 * LANE_SWEEP_INTERVAL_MS (and at once after each (re)connection) claims busy lanes with no open request
 * that have not moved for LANE_SWEEP_GRACE_MS; the outbox relay still queues them after its grace.
 * Wake-ups beyond this dispatcher's concurrency go to the queue as wake-up jobs.
 *
 * The same connection holds this process's driver-number lock (LaneDriverIdentity): while it is up,
 * the requests this process drives from memory are not queued again by anyone.
 */
@Injectable()
export class LaneWakeListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(LaneWakeListener.name);
  private client?: Client;
  private stopped = false;
  private sweepTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  /** Lanes whose claim is under way here: a second announcement meanwhile adds nothing. */
  private readonly waking = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  /** The live dispatchers' driver numbers as of the last sweep: who answers which announcement. */
  private liveDrivers: number[] = [];

  constructor(
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    private readonly advancer: LaneAdvancer,
    private readonly driver: LaneDriver,
    private readonly identity: LaneDriverIdentity,
    private readonly lanes: LaneRepository,
    @InjectQueue(DELIVERY_QUEUE) private readonly queue: Queue,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    void this.connect();
    this.sweepTimer = setInterval(() => void this.sweep(), LANE_SWEEP_INTERVAL_MS).unref();
  }

  /** True while announcements reach this dispatcher. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.sweepTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    this.identity.holdsLock = false;
    await client?.end().catch(() => undefined);
    // Lanes being driven hand their next request to the queue (LaneDriver stops its turns).
    const settled = Promise.allSettled([...this.running]).then(() => undefined);
    await Promise.race([
      settled,
      new Promise((resolve) => setTimeout(resolve, this.config.shutdownGraceMs).unref()),
    ]);
  }

  /**
   * Claims and drives the lanes nobody moves, and queues the requests a dead dispatcher was sending
   * from memory (their lanes move within a sweep of its death). Answers how many lanes it found.
   */
  async sweep(): Promise<number> {
    if (this.stopped) return 0;
    try {
      this.liveDrivers = await this.lanes.liveDrivers();
      const stuck = await this.lanes.stuckLanes(LANE_SWEEP_GRACE_MS, LANE_SWEEP_MAX_LANES);
      for (const lane of stuck) this.wake({ webhookId: lane.webhookId, kind: lane.kind }, 'sweep');
      // Never this process's own requests: while its connection (and so its lock) is away, it looks dead
      // to the query, yet it is still sending them from memory.
      const orphaned = this.identity.holdsLock
        ? await this.lanes.pendingOfDeadDrivers(LANE_SWEEP_MAX_LANES, this.identity.driver)
        : [];
      const requeued = orphaned.length === 0 ? 0 : await enqueueMissingDeliveries(this.queue, orphaned);
      if (requeued > 0) {
        this.metrics.relayRequeued.inc(requeued);
        this.logger.warn({ msg: `queued ${requeued} requests whose dispatcher died sending them`, requeued });
      }
      return stuck.length;
    } catch (error) {
      this.logger.warn(`lane sweep failed (the next one tries again): ${(error as Error).message}`);
      return 0;
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.config.database.url,
      application_name: 'lmsw-lane-wake',
    });
    client.on('notification', (message: Notification) => this.onAnnouncement(message.payload));
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      // The driver number's lock lives with this connection: it says "this process is alive".
      while (!(await this.lockDriverNumber(client))) this.identity.redraw();
      this.identity.holdsLock = true;
      await client.query(`LISTEN ${LANE_WAKE_CHANNEL}`);
      this.client = client;
      this.metrics.laneWakeListening.set(1);
      // Whatever was announced while nobody here listened.
      await this.sweep();
    } catch (error) {
      this.lost(client, error as Error);
    }
  }

  private async lockDriverNumber(client: Client): Promise<boolean> {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1::int, $2::int) AS locked',
      [LANE_DRIVER_LOCK_CLASS, this.identity.driver],
    );
    return rows[0].locked;
  }

  private lost(client: Client, error?: Error): void {
    if (this.client !== undefined && this.client !== client) return;
    if (this.client === undefined && this.reconnectTimer !== undefined) return;
    this.client = undefined;
    this.identity.holdsLock = false;
    this.metrics.laneWakeListening.set(0);
    // A lost client says nothing more (a late 'end' must not start a second reconnection).
    client.removeAllListeners();
    client.on('error', () => undefined);
    void client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn(
      `lane wake-up connection lost (reconnecting; the sweep covers the gap): ${error?.message ?? 'ended'}`,
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, RECONNECT_DELAY_MS).unref();
  }

  private onAnnouncement(payload: string | undefined): void {
    const lane = parseLaneWakeUp(payload);
    if (lane === null) return;
    const key: LaneKey = { webhookId: lane.webhookId, kind: lane.kind };
    // Another live dispatcher answers this lane (it may be wrong for a moment: the lane lock decides,
    // and the sweep is the net). While this one is not in the list yet, it answers everything.
    if (
      this.liveDrivers.includes(this.identity.driver) &&
      laneOwner(key, this.liveDrivers) !== this.identity.driver
    ) {
      return;
    }
    this.metrics.laneStage.observe(
      { stage: 'commit_to_wake' },
      Math.max(0, Date.now() - lane.announcedAtMs) / 1000,
    );
    // Driven here now: the driver claims again after its current request.
    if (this.driver.noteMoreWork(key)) return;
    this.wake(key, 'notify');
  }

  private wake(lane: LaneKey, source: 'notify' | 'sweep'): void {
    if (this.stopped) return;
    const key = `${lane.webhookId}:${lane.kind}`;
    if (this.waking.has(key)) return;
    this.metrics.laneWakeUpsHeard.inc({ source });
    if (this.running.size >= this.config.concurrency) {
      // Busy enough: the queue takes it, behind the work already waiting.
      void enqueueLaneWakeUps(this.queue, [{ ...lane, activation: `overflow-${Date.now()}` }]).catch(
        (error: Error) =>
          this.logger.warn(`could not queue a lane wake-up (the sweep will): ${error.message}`),
      );
      return;
    }
    this.waking.add(key);
    const run = this.claimAndDrive(lane, key);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  private async claimAndDrive(lane: LaneKey, key: string): Promise<void> {
    const startedAt = Date.now();
    try {
      const claimed = await this.advancer.claim(lane);
      this.metrics.laneStage.observe({ stage: 'wake_to_claim' }, (Date.now() - startedAt) / 1000);
      this.waking.delete(key);
      await this.driver.drive(claimed);
    } catch (error) {
      // Nothing was claimed (the claim is one transaction): the sweep finds the lane again.
      this.logger.warn({
        msg: `lane wake-up failed: ${(error as Error).message}`,
        webhookId: lane.webhookId,
      });
    } finally {
      this.waking.delete(key);
    }
  }
}
