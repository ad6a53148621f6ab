export * from './app-logger';
export * from './metrics';
export * from './observability.module';
export * from './public-route';
export * from './readiness-probe';
export * from './readiness-probes';
export * from './close-on-signals';
