import Redis from 'ioredis';
import type * as KafkaJs from 'kafkajs';
import { DataSource } from 'typeorm';
import { ReadinessProbe } from './readiness-probe';

export function postgresProbe(dataSource: DataSource): ReadinessProbe {
  return { name: 'postgres', check: async () => void (await dataSource.query('SELECT 1')) };
}

/** A dedicated, lazily connected client: readiness must not borrow (or block) the queue's connections. */
export function redisProbe(url: string): ReadinessProbe {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  client.on('error', () => undefined);
  return {
    name: 'redis',
    check: async () => {
      if (client.status === 'wait' || client.status === 'end') await client.connect();
      await client.ping();
    },
    close: async () => void client.disconnect(),
  };
}

/** Only ingestion checks the broker: kafkajs (~14 MB resident) loads when a Kafka probe is made. */
export function kafkaProbe(brokers: string[]): ReadinessProbe {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Kafka, logLevel } = require('kafkajs') as typeof KafkaJs;
  const admin = new Kafka({
    clientId: 'lms-webhooks-readiness',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  let connected = false;
  return {
    name: 'kafka',
    check: async () => {
      if (!connected) {
        await admin.connect();
        connected = true;
      }
      await admin.describeCluster();
    },
    close: () => admin.disconnect(),
  };
}
