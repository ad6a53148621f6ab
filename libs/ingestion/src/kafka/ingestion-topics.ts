import type { KafkaConfig } from '@lms/config';
import type { Kafka } from 'kafkajs';

/**
 * Creates the events topic (with its configured partition count, the unit of consumer parallelism) and
 * the dead-letter topic when they are absent. The broker does not auto-create topics, and a topic
 * auto-created with one partition would cap the consumer group at one useful member.
 */
export async function ensureIngestionTopics(kafka: Kafka, config: KafkaConfig): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [config.eventsTopic, config.dlqTopic].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return [];
    // Another replica may create the same topics at the same moment: createTopics then answers false.
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: config.eventsPartitions })),
    });
    return missing;
  } finally {
    await admin.disconnect();
  }
}
