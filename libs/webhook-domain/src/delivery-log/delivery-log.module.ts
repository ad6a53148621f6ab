import { DynamicModule, Module } from '@nestjs/common';
import { LaneAppendRepository } from '../lanes/lane-append.repository';
import { DeliveryLogRepository } from './delivery-log.repository';
import { DELIVERY_LOG_OPTIONS, DeliveryLogService, type DeliveryLogOptions } from './delivery-log.service';

/**
 * No wake-up port: redeliver and replay add to lanes through LaneAppendRepository, whose statement announces
 * the touched lanes on lmsw_lane_wake at commit (the dispatchers' sweep is the net).
 */
export type DeliveryLogModuleOptions = DeliveryLogOptions;

@Module({})
export class DeliveryLogModule {
  static forRoot(options: DeliveryLogModuleOptions): DynamicModule {
    return {
      module: DeliveryLogModule,
      providers: [
        {
          provide: DELIVERY_LOG_OPTIONS,
          useValue: {
            maxReplayEvents: options.maxReplayEvents,
            maxPendingEventsPerWebhook: options.maxPendingEventsPerWebhook,
          } satisfies DeliveryLogOptions,
        },
        DeliveryLogRepository,
        LaneAppendRepository,
        DeliveryLogService,
      ],
      exports: [DeliveryLogService],
    };
  }
}
