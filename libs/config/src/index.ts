export * from './app-config';
export * from './config-error';
export * from './duration';
export * from './env-reader';
export * from './published-secrets';
