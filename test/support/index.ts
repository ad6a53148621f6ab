export * from './admin-token-minter';
export * from './app-processes';
export * from './delivery-rows';
export * from './http-listener';
export * from './java-lms-producer';
export * from './kafka-test-topics';
export * from './test-database';
export * from './wait-for';
