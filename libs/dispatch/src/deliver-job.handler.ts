import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DispatcherConfig } from '@lms/config';
import { storableText } from '@lms/http-delivery';
import { Metrics } from '@lms/observability';
import { DELIVER_JOB, DeliverJobData } from '@lms/queue-contract';
import type { Job } from 'bull';
import { DeliverDeliveryUseCase, DeliverResult } from './deliver-delivery.use-case';
import { DeliveryJobHandler } from './delivery-job-handler';
import { DeliveryOutcomeWriter } from './delivery-outcome-writer';
import { DISPATCHER_CONFIG } from './dispatch-tokens';
import { LaneAdvancer } from './lane-advancer';
import { errorClassOf, LaneDriver } from './lane-driver';
import { isInfrastructureError, RetryDeliveryError, unexpectedErrorRetryMs } from './retry-delivery-error';

/**
 * Transport: job payload in, use case out. And the bound on unexpected errors: a failed attempt or a
 * rate limit is planned (RetryDeliveryError: Bull retries it on the delivery's schedule, which ends at
 * RETRY_MAX_AGE); anything else (a bug, a write Postgres refuses, a body that cannot be built) would
 * most likely fail again on every retry, holding the delivery's lane for ever. After
 * maxUnexpectedErrors of them in a row (an attempt recorded in between starts the count again: a
 * rare hiccup over a week of retries is not a reason to give up; a deferral before sending does not)
 * the delivery is DEAD with the error as its reason, and its lane moves on as for any dead request.
 */
@Injectable()
export class DeliverJobHandler implements DeliveryJobHandler {
  readonly jobName = DELIVER_JOB;
  private readonly logger = new Logger(DeliverJobHandler.name);

  constructor(
    private readonly deliver: DeliverDeliveryUseCase,
    private readonly writer: DeliveryOutcomeWriter,
    private readonly lanes: LaneAdvancer,
    private readonly driver: LaneDriver,
    private readonly metrics: Metrics,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
  ) {}

  async handle(job: Job<DeliverJobData>): Promise<DeliverResult> {
    try {
      const run = await this.deliver.execute(job.data.deliveryId);
      // The lane's next request goes out from this job, at once (it never throws).
      await this.driver.drive(run.next);
      return run.result;
    } catch (error) {
      if (!(error instanceof RetryDeliveryError)) return this.afterUnexpectedError(job, error);
      if (error.afterRecordedAttempt && job.data.unexpectedErrors) {
        await job.update({ ...job.data, unexpectedErrors: 0 }).catch(() => undefined);
      }
      throw error;
    }
  }

  private async afterUnexpectedError(job: Job<DeliverJobData>, error: unknown): Promise<DeliverResult> {
    const deliveryId = job.data.deliveryId;
    const errorClass = errorClassOf(error);
    const message = error instanceof Error ? error.message : String(error);
    this.metrics.deliveryUnexpectedErrors.inc({ error: errorClass });
    // The database or Redis being away says nothing about this delivery: it waits, uncounted, as before.
    if (isInfrastructureError(error)) throw error;

    const count = (job.data.unexpectedErrors ?? 0) + 1;
    const limit = this.config.maxUnexpectedErrors;
    this.logger.error({
      msg: `unexpected error ${count} of ${limit} on a delivery: ${message}`,
      deliveryId,
      errorClass,
      stack: error instanceof Error ? error.stack : undefined,
    });
    if (count < limit) {
      // Counted in the job (Redis): a restart or a stalled job taken over by another replica goes on
      // counting. If Redis cannot take it, the count restarts: more retries, never fewer.
      await job.update({ ...job.data, unexpectedErrors: count }).catch(() => undefined);
      throw new RetryDeliveryError(
        `unexpected error ${count} of ${limit}: ${message}`,
        unexpectedErrorRetryMs(count),
      );
    }
    return this.giveUp(deliveryId, errorClass, `gave up after ${count} unexpected errors: ${message}`);
  }

  private async giveUp(deliveryId: string, errorClass: string, reason: string): Promise<DeliverResult> {
    const given = await this.writer.giveUp(deliveryId, storableText(`${errorClass}: ${reason}`));
    if (given === null) return 'skipped';
    if (given.gaveUp) {
      this.metrics.deliveriesGivenUp.inc({ error: errorClass });
      this.metrics.deliveryOutcomes.inc({ outcome: 'dead' });
      this.logger.warn({ msg: `delivery is dead: ${reason}`, deliveryId, errorClass });
    }
    try {
      await this.driver.drive(await this.lanes.claim(given.lane));
    } catch (error) {
      // The job ends here either way (else the same error would come back for ever); a busy lane that
      // does not move is found by the outbox relay, which queues its wake-up.
      this.logger.error({
        msg: `the lane of a given-up delivery did not move: ${(error as Error).message}`,
        deliveryId,
      });
    }
    return given.gaveUp ? 'dead' : 'skipped';
  }
}
