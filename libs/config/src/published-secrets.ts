import { createHash } from 'node:crypto';

/**
 * The admin JWT secret `npm start`, `npm run token` and `npm run demo` use when none is set. Anyone can
 * read it here, so it signs tokens on a development machine only: production refuses it at boot.
 */
export const DEVELOPMENT_ADMIN_JWT_SECRET = 'dev-only-admin-jwt-secret-change-me-0123456789';

/**
 * Every admin JWT secret this repository has published (scripts, docker-compose.yml, README, test
 * stacks). A deployment that kept one would accept a token anyone can sign for any account.
 */
export const PUBLISHED_ADMIN_JWT_SECRETS: readonly string[] = [
  DEVELOPMENT_ADMIN_JWT_SECRET,
  // docker-compose.yml's default until issue 15
  'change-me-to-a-long-random-secret-of-32-chars',
  // the test stacks (test/support/app-processes.ts, test/admin-api/support/admin-api-harness.ts)
  'test-only-admin-jwt-secret-0123456789abcdef',
];

/** SECRETS_ENCRYPTION_KEY values this repository has published (docker-compose.yml's old default). */
const PUBLISHED_SECRETS_KEY_TEXTS: readonly string[] = ['REPLACE+ME+WITH+32+RANDOM+BYTES+BASE64+XXXXX='];

/**
 * The key outside production when SECRETS_ENCRYPTION_KEY is unset, so `npm start` works on a fresh
 * clone. Derived from a phrase printed right here: production refuses it even when given explicitly.
 */
export function developmentSecretsKey(): Buffer {
  return createHash('sha256').update('lms-webhooks development key').digest();
}

/** Words that mark an example value someone forgot to replace ("change-me", "REPLACE+ME", "dev-only"...). */
const PLACEHOLDER_WORDS = /change[-_+ ]?me|replace[-_+ ]?me|dev[-_]only|test[-_]only|placeholder|example/i;
/** Random secrets of this length have dozens of distinct characters; "xxxx…" or "abab…" has one or two. */
const MIN_DISTINCT_SYMBOLS = 8;

/**
 * Why `secret` must not sign admin tokens in production, or undefined when nothing is known against it.
 * It cannot prove a secret random; it refuses the values anyone can find (this repository's) and the
 * shapes a human types as a stand-in.
 */
export function publishedJwtSecretProblem(secret: string): string | undefined {
  if (PUBLISHED_ADMIN_JWT_SECRETS.includes(secret)) {
    return 'is a development or example value published in the lms-webhooks repository; anyone could sign admin tokens with it. Generate your own: openssl rand -base64 48';
  }
  if (PLACEHOLDER_WORDS.test(secret)) {
    return 'looks like a placeholder (it contains "change me", "replace me", "dev-only", "test-only", "placeholder" or "example"). Generate your own: openssl rand -base64 48';
  }
  if (new Set(secret).size < MIN_DISTINCT_SYMBOLS) {
    return `has fewer than ${MIN_DISTINCT_SYMBOLS} distinct characters, so it is not random. Generate your own: openssl rand -base64 48`;
  }
  return undefined;
}

/** The same for the AES key of secrets at rest: `text` as configured, `key` as decoded. */
export function publishedSecretsKeyProblem(text: string, key: Buffer): string | undefined {
  const published = [developmentSecretsKey(), ...PUBLISHED_SECRETS_KEY_TEXTS.map(decodeKeyText)];
  if (published.some((known) => known.equals(key))) {
    return 'is a development or example key published in the lms-webhooks repository; anyone could decrypt the stored passwords and signing secrets with it. Generate your own: openssl rand -base64 32';
  }
  if (PLACEHOLDER_WORDS.test(text)) {
    return 'looks like a placeholder (it contains "change me", "replace me" or "example"). Generate your own: openssl rand -base64 32';
  }
  if (new Set(key).size < MIN_DISTINCT_SYMBOLS) {
    return `has fewer than ${MIN_DISTINCT_SYMBOLS} distinct bytes, so it is not random. Generate your own: openssl rand -base64 32`;
  }
  return undefined;
}

/** 64 hex digits, or base64: how SECRETS_ENCRYPTION_KEY is written. */
export function decodeKeyText(text: string): Buffer {
  return /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
}
