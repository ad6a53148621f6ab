export * from './target-url-policy';
export * from './webhook-commands';
export * from './webhook-management-options';
export * from './webhook-management.module';
export * from './webhook-management.service';
export * from './webhook-signature.service';
export * from './webhook-view';
export { WebhookRepository } from './webhook.repository';
