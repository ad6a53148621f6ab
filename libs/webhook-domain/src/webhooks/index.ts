export * from './target-url-policy';
export * from './webhook-credentials-reader';
export * from './webhook-lifecycle';
export * from './webhook-management-options';
export * from './webhook-signature.service';
export * from './webhook-view';
export { WebhookRepository, type StoredSendTarget } from './webhook.repository';
