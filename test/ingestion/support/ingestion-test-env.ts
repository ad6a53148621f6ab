import { loadIngestionConfig, type IngestionConfig } from '@lms/config';
import { createTestDatabase, stackEnv, uniqueKafkaNames, type TestDatabase } from '@lms/testing';

/** A database, topics, consumer group and queue prefix that belong to one test file only. */
export interface IngestionTestEnv {
  database: TestDatabase;
  /** Environment variables as the real app reads them (for in-process config or a child process). */
  env: Record<string, string>;
  config: IngestionConfig;
}

export async function createIngestionTestEnv(
  label: string,
  extra: Record<string, string> = {},
): Promise<IngestionTestEnv> {
  const database = await createTestDatabase(label);
  const { topic, group } = uniqueKafkaNames(label);
  const env = stackEnv({
    databaseUrl: database.url,
    topic,
    group,
    extra: { INGESTION_PORT: '0', KAFKA_SESSION_TIMEOUT_MS: '6000', ...extra },
  });
  return { database, env, config: loadIngestionConfig(env) };
}
