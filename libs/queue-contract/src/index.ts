export * from './delivery-queue.contract';
