export * from './delivery-envelope';
export * from './delivery-failure';
export * from './delivery-headers';
export * from './retry-after';
export * from './signed-webhook-request';
export * from './standard-webhooks-signer';
export * from './target-address-policy';
export * from './webhook-http-sender';
