export * from './delivery-envelope';
export * from './standard-webhooks-signer';
export * from './target-address-policy';
