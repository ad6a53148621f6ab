// Produces valid sample LMS events to Kafka, as an LMS would (key = accountId), for trying the system
// and for benchmarks:
//   npm run produce -- --account 1010 --event COURSE_ENROLLMENT [--count N] [--topic t] [--rate r]
// --event takes one catalogue name, a comma-separated list (cycled through), or ALL; --account also takes a
// comma-separated list (cycled through), which spreads the events over partitions as many tenants would.
// --rate is events per second (default: as fast as the broker takes them).
import { loadIngestionConfig } from '@lms/config';
import { createKafkaClient, ensureIngestionTopics } from '@lms/ingestion';
import { buildExampleEvent, EVENT_NAMES, isEventName, type EventName } from '@lms/payload-schemas';
import { CompressionTypes, Partitioners } from 'kafkajs';
import { parseArgs } from 'node:util';

const SEND_CHUNK = 1000;

interface ProduceOptions {
  accountIds: number[];
  events: EventName[];
  count: number;
  topic: string;
  ratePerSecond?: number;
}

function readOptions(defaultTopic: string): ProduceOptions {
  const { values } = parseArgs({
    options: {
      account: { type: 'string' },
      event: { type: 'string' },
      count: { type: 'string', default: '1' },
      topic: { type: 'string', default: defaultTopic },
      rate: { type: 'string' },
    },
  });
  const accountIds = (values.account ?? '').split(',').filter(Boolean).map(Number);
  if (accountIds.length === 0 || accountIds.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
    fail('--account must be a positive integer (or a comma-separated list of them)');
  }
  const names = values.event === 'ALL' ? [...EVENT_NAMES] : (values.event ?? '').split(',').filter(Boolean);
  if (names.length === 0) fail(`--event is required: one of ${EVENT_NAMES.join(', ')}, a comma list, or ALL`);
  const unknown = names.filter((name) => !isEventName(name));
  if (unknown.length > 0) fail(`unknown event name(s): ${unknown.join(', ')}`);
  const count = Number(values.count);
  if (!Number.isSafeInteger(count) || count <= 0) fail('--count must be a positive integer');
  const ratePerSecond = values.rate === undefined ? undefined : Number(values.rate);
  if (ratePerSecond !== undefined && !(ratePerSecond > 0)) fail('--rate must be a positive number');
  return { accountIds, events: names as EventName[], count, topic: values.topic, ratePerSecond };
}

function fail(message: string): never {
  console.error(`produce-events: ${message}`);
  process.exit(2);
}

/** The event as the LMS puts it on the wire: our `realtime` flag is derived, not sent. */
function wireMessage(name: EventName, accountId: number): { key: string; value: string } {
  const { realtime: _realtime, ...event } = buildExampleEvent(name, { accountId });
  return { key: String(accountId), value: JSON.stringify(event) };
}

async function main(): Promise<void> {
  const config = loadIngestionConfig();
  const options = readOptions(config.kafka.eventsTopic);
  const kafka = createKafkaClient(config.kafka);
  await ensureIngestionTopics(kafka, {
    ...config.kafka,
    eventsTopic: options.topic,
    dlqTopic: `${options.topic}.dlq`,
  });
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const started = Date.now();
  // At a fixed rate, small sends (~20 a second) keep the stream smooth instead of bursty.
  const chunk =
    options.ratePerSecond === undefined
      ? SEND_CHUNK
      : Math.max(1, Math.min(SEND_CHUNK, Math.floor(options.ratePerSecond / 20)));
  try {
    for (let sent = 0; sent < options.count;) {
      const size = Math.min(chunk, options.count - sent);
      const messages = Array.from({ length: size }, (_, index) =>
        wireMessage(
          options.events[(sent + index) % options.events.length],
          options.accountIds[(sent + index) % options.accountIds.length],
        ),
      );
      await producer.send({ topic: options.topic, acks: -1, compression: CompressionTypes.None, messages });
      sent += size;
      if (options.ratePerSecond !== undefined) {
        // Paced by schedule, not by sleeping a fixed time per chunk, so slow sends do not add up.
        const due = started + (sent / options.ratePerSecond) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
    }
  } finally {
    await producer.disconnect();
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(
    `produced ${options.count} event(s) (${options.events.join(',')}) for account(s) ${options.accountIds.join(',')} to ${options.topic} ` +
      `in ${seconds.toFixed(2)} s (${Math.round(options.count / Math.max(seconds, 0.001))}/s)`,
  );
}

main().catch((error: Error) => {
  console.error(error);
  process.exit(1);
});
