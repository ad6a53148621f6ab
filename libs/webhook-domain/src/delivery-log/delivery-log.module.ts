import { DynamicModule, Module, Type } from '@nestjs/common';
import { LaneRepository } from '../lanes/lane.repository';
import { DeliveryLogRepository } from './delivery-log.repository';
import { DELIVERY_LOG_OPTIONS, DeliveryLogService, type DeliveryLogOptions } from './delivery-log.service';
import { DeliveryWakeUp } from './delivery-wake-up';

export interface DeliveryLogModuleOptions extends DeliveryLogOptions {
  /** How to wake the dispatcher (the app's queue); keeps this lib free of the queue technology. */
  wakeUp: Type<DeliveryWakeUp>;
  /** Modules the wake-up class needs (e.g. the registered Bull queue). */
  imports?: DynamicModule['imports'];
}

@Module({})
export class DeliveryLogModule {
  static forRoot(options: DeliveryLogModuleOptions): DynamicModule {
    return {
      module: DeliveryLogModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: DELIVERY_LOG_OPTIONS,
          useValue: {
            maxReplayEvents: options.maxReplayEvents,
            maxPendingEventsPerWebhook: options.maxPendingEventsPerWebhook,
          } satisfies DeliveryLogOptions,
        },
        { provide: DeliveryWakeUp, useClass: options.wakeUp },
        DeliveryLogRepository,
        LaneRepository,
        DeliveryLogService,
      ],
      exports: [DeliveryLogService],
    };
  }
}
