export * from './event-load';
export * from './isolated-stack';
export * from './webhook-seeder';
