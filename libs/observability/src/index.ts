export * from './app-logger';
export * from './log-format';
export * from './metrics';
export * from './observability.module';
export * from './public-route';
export * from './readiness-probe';
export * from './readiness-probes';
export * from './close-on-signals';
