/**
 * Postgres advisory lock keys for work that must happen once across replicas. Fixed numbers, in one
 * place, so two jobs can never pick the same key by accident.
 */
export const ADVISORY_LOCK = {
  MIGRATIONS: 7_310_001,
  OUTBOX_RELAY: 7_310_002,
  BATCH_RELEASE: 7_310_003,
  RETENTION_PURGE: 7_310_004,
  AUTO_DISABLE: 7_310_005,
  /** The one-time rewrite of unbound (v1) secret ciphertexts at the admin API's boot. */
  LEGACY_SECRET_REWRITE: 7_310_006,
  /** Namespace for per-account locks (two-key form: namespace, accountId). */
  ACCOUNT_WEBHOOKS: 7_310_100,
} as const;
