export * from './delivery-queue.contract';
export * from './delivery-enqueue';
