import { Metrics, type ReadinessProbe } from '@lms/observability';
import { Logger } from '@nestjs/common';
import type { Consumer } from 'kafkajs';

/** What the supervisor needs of a kafkajs consumer: its crash and join events, and a way to leave. */
export type SupervisableConsumer = Pick<Consumer, 'on' | 'disconnect' | 'events'>;

export interface ConsumerSupervisorOptions<C extends SupervisableConsumer> {
  /** Builds a new consumer: a consumer kafkajs gave up on is not reused. */
  create(): C;
  /** Connects, subscribes and runs it; resolves once it runs (kafkajs joins the group in the background). */
  run(consumer: C): Promise<void>;
  /** Where the consumer was when it stopped (topic, partition, offsets in flight), for the log line. */
  describePosition(): string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A consumer that stayed in its group this long starts the next backoff from the beginning again. */
  stableAfterMs?: number;
}

/**
 * Keeps the Kafka consumer consuming. kafkajs restarts a consumer by itself after retriable errors;
 * after one it does not retry (a broker fault it treats as fatal, an error thrown while decoding a
 * batch) it stops for good while the process stays up. The supervisor notices the crash, logs where
 * the consumer was, counts it, and builds and runs a new consumer with exponential backoff. Readiness
 * says "not consuming" from the crash until the new consumer has joined its group again.
 */
export class ConsumerSupervisor<C extends SupervisableConsumer = SupervisableConsumer> {
  private readonly logger = new Logger(ConsumerSupervisor.name);
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly stableAfterMs: number;
  private consumer: C | undefined;
  private consuming = false;
  private stopping = false;
  /** When the current consumer joined its group; 0 while it has not. */
  private joinedAt = 0;
  private nextDelayMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastStop: string | undefined;

  constructor(
    private readonly options: ConsumerSupervisorOptions<C>,
    private readonly metrics: Metrics,
  ) {
    this.initialDelayMs = options.initialDelayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.stableAfterMs = options.stableAfterMs ?? 60_000;
    this.nextDelayMs = this.initialDelayMs;
    this.metrics.consumerRunning.set(0);
  }

  get isConsuming(): boolean {
    return this.consuming;
  }

  async start(): Promise<void> {
    const consumer = this.options.create();
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.consumer !== consumer) return;
      this.consuming = true;
      this.joinedAt = Date.now();
      this.metrics.consumerRunning.set(1);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.consumer === consumer) this.onCrash(payload.error, payload.restart);
    });
    await this.options.run(consumer);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.markStopped();
    await this.consumer?.disconnect();
  }

  /** /health/ready fails while the consumer is not in its group (crashed, restarting, not yet joined). */
  readinessProbe(): ReadinessProbe {
    return {
      name: 'kafka-consumer',
      check: () =>
        this.consuming
          ? Promise.resolve()
          : Promise.reject(new Error(this.lastStop ?? 'the Kafka consumer has not joined its group yet')),
    };
  }

  private onCrash(error: Error, kafkajsRestarts: boolean): void {
    this.markStopped();
    if (this.stopping) return;
    const stayedUp = this.joinedAt > 0 && Date.now() - this.joinedAt >= this.stableAfterMs;
    if (stayedUp) this.nextDelayMs = this.initialDelayMs;
    this.joinedAt = 0;
    const position = this.options.describePosition();
    this.metrics.consumerStops.inc({ restart: kafkajsRestarts ? 'kafkajs' : 'supervisor' });
    if (kafkajsRestarts) {
      this.lastStop = `consumer crashed at ${position} and is restarting: ${error.message}`;
      this.logger.error({ msg: this.lastStop, error: error.name });
      return;
    }
    const delayMs = this.nextDelayMs;
    this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.maxDelayMs);
    this.lastStop = `consumer stopped at ${position}: ${error.message}; restarting in ${delayMs} ms`;
    this.logger.error({ msg: this.lastStop, error: error.name });
    this.scheduleRestart(delayMs);
  }

  private scheduleRestart(delayMs: number): void {
    this.restartTimer = setTimeout(() => void this.restart(), delayMs);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    const previous = this.consumer;
    this.consumer = undefined;
    await previous?.disconnect().catch(() => undefined);
    try {
      await this.start();
      this.logger.log('consumer restarted; waiting to join its group');
    } catch (error) {
      const delayMs = this.nextDelayMs;
      this.nextDelayMs = Math.min(this.nextDelayMs * 2, this.maxDelayMs);
      this.lastStop = `consumer could not be restarted: ${(error as Error).message}; retrying in ${delayMs} ms`;
      this.logger.error(this.lastStop);
      if (!this.stopping) this.scheduleRestart(delayMs);
    }
  }

  private markStopped(): void {
    this.consuming = false;
    this.metrics.consumerRunning.set(0);
  }
}
