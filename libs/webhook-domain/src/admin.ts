// The admin API's second entry into this lib (@lms/webhook-domain/admin): its commands and the use cases
// and modules built on them. The commands check event names against @lms/payload-schemas' catalogue,
// whose DTOs load class-validator and libphonenumber-js (~14 MB resident); kept out of the main entry,
// the dispatcher, which never takes an admin command, does not load them.
export * from './delivery-log/delivery-log-commands';
export * from './webhooks/test-send.module';
export * from './webhooks/test-send.use-case';
export * from './webhooks/webhook-commands';
export * from './webhooks/webhook-management.module';
export * from './webhooks/webhook-management.service';
