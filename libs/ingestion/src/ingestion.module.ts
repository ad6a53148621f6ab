import type { IngestionConfig } from '@lms/config';
import { LaneAppendRepository, WebhookChangeFeed } from '@lms/webhook-domain';
import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { LmsEventConsumer } from './consumer/lms-event-consumer';
import { INGESTION_CONFIG } from './ingestion-config.token';
import { createKafkaClient, KAFKA_CLIENT } from './kafka/kafka-client';
import { EventIngestionService } from './persistence/event-ingestion.service';
import {
  SUBSCRIPTION_CACHE_TTL_MS,
  WebhookSubscriptionCache,
} from './subscriptions/webhook-subscription-cache';

/** The change feed is the fast path; the TTL only bounds how long a lost notification can matter. */
const SUBSCRIPTION_TTL_MS = 60_000;

/**
 * Everything ingestion does: the Kafka consumer (with its DLQ), the transactional batch writer, the
 * subscription cache. It queues nothing: its commits announce the lanes they
 * wake (lmsw_lane_wake), and the outbox relay and retention run in the dispatcher. Needs the app's DatabaseModule and
 * ObservabilityModule (both global).
 */
@Module({})
export class IngestionModule {
  static forRoot(config: IngestionConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [ScheduleModule.forRoot()],
      providers: [
        { provide: INGESTION_CONFIG, useValue: config },
        { provide: KAFKA_CLIENT, useFactory: () => createKafkaClient(config.kafka) },
        { provide: WebhookChangeFeed, useFactory: () => new WebhookChangeFeed(config.database.url) },
        { provide: SUBSCRIPTION_CACHE_TTL_MS, useValue: SUBSCRIPTION_TTL_MS },
        WebhookSubscriptionCache,
        LaneAppendRepository,
        EventIngestionService,
        LmsEventConsumer,
      ],
      exports: [EventIngestionService, WebhookSubscriptionCache],
    };
  }
}
