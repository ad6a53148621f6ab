import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, Partitioners, Producer } from 'kafkajs';

export const TEST_KAFKA_BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** Names no other test file uses, so files run side by side on one broker. */
export function uniqueKafkaNames(label: string): { topic: string; dlqTopic: string; group: string } {
  const suffix = `${label}.${randomBytes(4).toString('hex')}`;
  return {
    topic: `lms.events.${suffix}`,
    dlqTopic: `lms.events.${suffix}.dlq`,
    group: `lmsw-test-${suffix}`,
  };
}

export function testKafka(clientId = 'lmsw-test'): Kafka {
  return new Kafka({ clientId, brokers: TEST_KAFKA_BROKERS, logLevel: logLevel.NOTHING });
}

/** A producer that behaves like an LMS service: key = accountId, JSON value. */
export async function connectLmsProducer(kafka = testKafka('lms-producer')): Promise<Producer> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

/** Removes a test file's topics from the shared broker (best effort: a missing topic is fine). */
export async function deleteTestTopics(topics: string[]): Promise<void> {
  const admin = testKafka('lmsw-test-cleanup').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}
