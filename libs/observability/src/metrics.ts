import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric the platform exports, defined once so names and labels cannot drift between
 * the app that writes a metric and the dashboards that read it. One registry per process.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  /** result: valid | invalid | duplicate */
  readonly eventsConsumed = new Counter({
    name: 'lmsw_events_consumed_total',
    help: 'LMS events read from Kafka, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly dlqMessages = new Counter({
    name: 'lmsw_dlq_messages_total',
    help: 'Kafka messages sent to the dead-letter topic, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /** Copies too large for the dead-letter topic, replaced by a stub holding the record's coordinates. */
  readonly dlqStubs = new Counter({
    name: 'lmsw_dlq_stubs_total',
    help: 'Dead-letter records sent as a stub (coordinates and reason) because the record itself was too large',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /** 1 while the Kafka consumer is in its group and fetching; 0 while it is stopped or restarting. */
  readonly consumerRunning = new Gauge({
    name: 'lmsw_consumer_running',
    help: 'Whether the Kafka consumer is consuming (1) or stopped (0)',
    registers: [this.registry],
  });

  /** restart: kafkajs (it restarts itself) | supervisor (it had given up; we restart it with backoff) */
  readonly consumerStops = new Counter({
    name: 'lmsw_consumer_stops_total',
    help: 'Times the Kafka consumer crashed, by who restarts it',
    labelNames: ['restart'] as const,
    registers: [this.registry],
  });

  readonly consumerLag = new Gauge({
    name: 'lmsw_consumer_lag',
    help: 'Messages between the committed offset and the end of each partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [this.registry],
  });

  readonly ingestBatchDuration = new Histogram({
    name: 'lmsw_ingest_batch_duration_seconds',
    help: 'Time to persist one Kafka batch (transaction included)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  /** kind: REALTIME | BATCH */
  readonly deliveriesCreated = new Counter({
    name: 'lmsw_deliveries_created_total',
    help: 'Deliveries created, by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  /** outcome: succeeded | retrying | dead | cancelled | skipped | rate_limited */
  readonly deliveryOutcomes = new Counter({
    name: 'lmsw_delivery_outcomes_total',
    help: 'Delivery attempts and their outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly attemptDuration = new Histogram({
    name: 'lmsw_delivery_attempt_duration_seconds',
    help: 'HTTP delivery attempt duration, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** state: waiting | delayed | active | failed */
  readonly queueJobs = new Gauge({
    name: 'lmsw_queue_jobs',
    help: 'Jobs in the delivery queue, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly activeJobs = new Gauge({
    name: 'lmsw_dispatcher_active_jobs',
    help: 'Deliveries this dispatcher replica is working on now',
    registers: [this.registry],
  });

  /**
   * error: the error's class (QueryFailedError, RangeError…). Every unexpected error of a deliver job
   * (not a failed attempt: those are outcomes), and the infrastructure ones that never give a delivery up.
   */
  readonly deliveryUnexpectedErrors = new Counter({
    name: 'lmsw_delivery_unexpected_errors_total',
    help: 'Deliver jobs that failed on an unexpected error (a bug, a refused write, the database unreachable), by error class',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });

  /** error: the class of the last unexpected error. Each of these deliveries is DEAD with that error as its reason. */
  readonly deliveriesGivenUp = new Counter({
    name: 'lmsw_deliveries_given_up_total',
    help: 'Deliveries made DEAD after DELIVERY_MAX_UNEXPECTED_ERRORS unexpected errors, by error class',
    labelNames: ['error'] as const,
    registers: [this.registry],
  });

  /** reason: receiver_gone | auto_disabled */
  readonly webhooksDisabled = new Counter({
    name: 'lmsw_webhooks_disabled_total',
    help: 'Webhooks disabled by the platform, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  /**
   * Requests sent by the dispatcher straight after the previous request of their lane finished, in the
   * same process, with no queue job in between (LaneDriver). The rest went through the queue.
   */
  readonly laneContinuations = new Counter({
    name: 'lmsw_lane_continuations_total',
    help: 'Requests sent straight after the previous request of their lane, without a queue job',
    registers: [this.registry],
  });

  /** 1 while the dispatcher's LISTEN connection for lane announcements is up; 0 while it reconnects. */
  readonly laneWakeListening = new Gauge({
    name: 'lmsw_lane_wake_listening',
    help: 'Whether the dispatcher hears lane wake-up announcements (1) or is reconnecting (0)',
    registers: [this.registry],
  });

  /** source: notify (an announcement) | sweep (a busy lane nobody moved). Heard by this dispatcher. */
  readonly laneWakeUpsHeard = new Counter({
    name: 'lmsw_lane_wakeups_heard_total',
    help: 'Lane wake-ups this dispatcher acted on, by how it learned of them',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  /** source: ingestion | admin-api | dispatcher. The rows are safe in Postgres; the relay queues them later. */
  readonly enqueueFailures = new Counter({
    name: 'lmsw_enqueue_failures_total',
    help: 'Deliveries persisted but not queued because Redis refused; the outbox relay queues them later',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  /** source: ingestion | dispatcher | release | relay | admin-api. One per lane activation, never per event. */
  readonly laneWakeUps = new Counter({
    name: 'lmsw_lane_wakeups_total',
    help: 'Lanes flipped from idle to busy (each announced once to the dispatchers), by who added the work',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly eventsPerRequest = new Histogram({
    name: 'lmsw_events_per_request',
    help: 'Events carried by each delivery a lane creates (one request)',
    labelNames: ['kind'] as const,
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  /**
   * Where a lane's time goes, one stage per label (issue 16: the same names before and after the lane
   * engine is rewritten, so the two stage tables compare). stage:
   * - kafka_to_commit: the Kafka record's timestamp → the ingestion statement that stored the event
   *   committed (per event; producer clock vs ours: same host in the bench).
   * - commit_to_wake: ingestion's commit → the dispatcher starts working the woken lane (the wake-up
   *   job's creation time → its handler starts: queue wait included).
   * - wake_to_claim: the handler starts → the lane step returned the lane's new deliveries.
   * - claim_to_post: a delivery created (its created_at) → its first HTTP POST starts (queue hop,
   *   re-read and the account's share included). First attempts only.
   * - post: the HTTP attempt.
   * - outcome_commit: the outcome handed to the outcome writer → its write committed.
   * - advance: after an outcome, the lane step that creates the lane's next request → returned.
   */
  readonly laneStage = new Histogram({
    name: 'lmsw_lane_stage_seconds',
    help: 'Time spent in each stage of an event and its request on their way through a lane, by stage',
    labelNames: ['stage'] as const,
    buckets: [
      0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3,
      0.5, 0.75, 1, 2, 5, 10,
    ],
    registers: [this.registry],
  });

  /** state: released (may be sent now) | held (non-real-time, waiting for BATCH_CRON). Sampled. */
  readonly lanePendingEvents = new Gauge({
    name: 'lmsw_lane_pending_events',
    help: 'Events waiting in lanes, by state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  /** Lanes whose oldest open request has failed at least once and waits for its retry. Sampled. */
  readonly blockedLanes = new Gauge({
    name: 'lmsw_blocked_lanes',
    help: 'Lanes blocked behind a failing request',
    registers: [this.registry],
  });

  readonly relayRequeued = new Counter({
    name: 'lmsw_relay_requeued_total',
    help: 'Deliveries the outbox relay found persisted but not queued, and queued',
    registers: [this.registry],
  });

  /** Not attempts: the request was put back unsent because its account held its share of the worker slots. */
  readonly accountShareDeferrals = new Counter({
    name: 'lmsw_account_share_deferrals_total',
    help: "Requests put back for later because their account held its fair share of this dispatcher's concurrency",
    registers: [this.registry],
  });

  /** limit: account, client, testSend (rates) or testSendConcurrency: the admin API's 429s, by the limit that refused. */
  readonly adminRequestsLimited = new Counter({
    name: 'lmsw_admin_requests_limited_total',
    help: 'Admin API requests refused with 429 by a rate or concurrency limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** name: an ALLOW_* variable; 1 when it loosens the rules in this process, so a dashboard can alert on it. */
  readonly configFlag = new Gauge({
    name: 'lmsw_config_flag',
    help: 'Security-relevant configuration switches (ALLOW_*), 1 when on',
    labelNames: ['name'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'lmsw_' });
  }
}
