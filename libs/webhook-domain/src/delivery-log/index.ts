export * from './delivery-cursor';
export * from './delivery-log-views';
export * from './delivery-log.module';
export * from './delivery-log.service';
export { DeliveryLogRepository, type StoredEnvelopeEvent } from './delivery-log.repository';
