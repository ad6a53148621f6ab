export * from './admin-auth.module';
export * from './admin-claims';
export * from './admin-jwt-options';
export * from './admin-jwt.strategy';
export * from './admin-principal';
export * from './admin-token-signer';
