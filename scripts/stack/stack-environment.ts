import { DEVELOPMENT_ADMIN_JWT_SECRET } from '@lms/config';

/**
 * What `npm start` gives the apps unless the environment says otherwise: a development stack on this
 * machine. It listens on 127.0.0.1 only (BIND_HOST), because the admin API signs in with a JWT secret
 * published in this repository and delivers to private addresses: reachable from the network, anyone
 * could mint a token for it. Set BIND_HOST=0.0.0.0 (and your own secret) to expose it on purpose.
 */
export const DEVELOPMENT_STACK_DEFAULTS: Readonly<Record<string, string>> = {
  NODE_ENV: 'development',
  LOG_LEVEL: 'info',
  BIND_HOST: '127.0.0.1',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/lms_webhooks',
  REDIS_URL: 'redis://127.0.0.1:6379',
  KAFKA_BROKERS: '127.0.0.1:9092',
  ADMIN_JWT_SECRET: DEVELOPMENT_ADMIN_JWT_SECRET,
  // Local development delivers to listeners on this machine; production keeps both false.
  ALLOW_PRIVATE_TARGETS: 'true',
  ALLOW_HTTP_TARGETS: 'true',
};

/** The defaults above, overridden by every variable set in `processEnv`. */
export function developmentStackEnv(processEnv: NodeJS.ProcessEnv): Record<string, string> {
  const merged: Record<string, string> = { ...DEVELOPMENT_STACK_DEFAULTS };
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined) merged[key] = value;
  return merged;
}

/** Where this machine reaches an app bound to `bindHost`: a wildcard or no address means 127.0.0.1. */
export function localOrigin(bindHost: string | undefined, port: number): string {
  if (bindHost === undefined || bindHost === '0.0.0.0' || bindHost === '::')
    return `http://127.0.0.1:${port}`;
  return bindHost.includes(':') ? `http://[${bindHost}]:${port}` : `http://${bindHost}:${port}`;
}
