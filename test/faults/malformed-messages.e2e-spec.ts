import { expectEveryEventDelivered } from './support/delivery-ledger';
import { sendPersistently, testKafka, waitFor, wireEvent } from '@lms/testing';
import type { KafkaMessage, Message } from 'kafkajs';
import { DISPATCH_CONCURRENCY, FAULT_EVENTS, FaultHarness } from './support/fault-harness';
import { malformedCorpus, type MalformedMessage } from './support/malformed-corpus';

jest.setTimeout(300_000);

const RUN = 'mf';
const RATE = Number(process.env.FAULT_MALFORMED_RATE ?? 400);
/** One malformed message before every n-th valid event, on the same key (so the same partition, just ahead of it). */
const EVERY = 50;

describe('fault: malformed Kafka messages mixed into the load', () => {
  let harness: FaultHarness;

  beforeAll(async () => {
    harness = await FaultHarness.start({ label: 'malformed', dispatchers: 2 });
  });

  afterAll(async () => {
    await harness?.close();
  });

  it('sends every malformed message to the DLQ with its reason and does not hold up the valid events behind it', async () => {
    const sentMalformed: MalformedMessage[] = [];
    const neighbours: string[] = [];
    const started = Date.now();
    const due = (index: number) => started + (index * 1000) / RATE;
    for (let index = 0; index < FAULT_EVENTS;) {
      const messages: Message[] = [];
      while (index < FAULT_EVENTS && due(index) <= Date.now()) {
        const valid = wireEvent(harness.plan, RUN, index, Math.round(due(index)));
        if (index % EVERY === 0) {
          const corpus = malformedCorpus(Number(valid.key));
          const bad = corpus[(index / EVERY) % corpus.length];
          sentMalformed.push(bad);
          messages.push({ key: valid.key, value: bad.value });
          neighbours.push(`${RUN}-${index}`);
        }
        messages.push(valid);
        index += 1;
      }
      if (messages.length > 0) await sendPersistently(harness.producer, harness.stack.topic, messages);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }

    const summary = await harness.settle(RUN, FAULT_EVENTS);
    await harness.report(
      RUN,
      `${sentMalformed.length} malformed messages mixed in`,
      summary,
      DISPATCH_CONCURRENCY * 2,
    );
    expectEveryEventDelivered(summary);

    // Every malformed message is in the DLQ, byte for byte, with why.
    const dead: KafkaMessage[] = [];
    const consumer = testKafka('lmsw-faults-dlq-reader').consumer({
      groupId: `lmsw-faults-dlq-${Date.now()}`,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: harness.stack.dlqTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void dead.push(message) });
    try {
      await waitFor(
        `${sentMalformed.length} messages in the DLQ`,
        () => dead.length >= sentMalformed.length,
        60_000,
        100,
      );
    } finally {
      await consumer.disconnect();
    }
    expect(dead).toHaveLength(sentMalformed.length);
    const key = (value: Buffer | null) => (value === null ? 'null' : value.toString('base64'));
    expect(dead.map((message) => key(message.value)).sort()).toEqual(
      sentMalformed.map((message) => key(message.value)).sort(),
    );
    for (const message of dead) {
      expect(String(message.headers?.['x-error-code'] ?? '')).toMatch(/^[A-Z][A-Z0-9_]+$/);
      expect(String(message.headers?.['x-error-message'] ?? '')).not.toBe('');
      expect(String(message.headers?.['x-source-topic'])).toBe(harness.stack.topic);
    }

    // The valid event right behind each malformed one was not held up: its latency is in line with
    // the run's own (a poison message that stalled its partition would stand out by far more).
    const neighbourLatencies = neighbours.map(
      (eventId) => harness.ledger.latencyOf(eventId) ?? Number.POSITIVE_INFINITY,
    );
    const worstNeighbour = Math.max(...neighbourLatencies);
    console.log(
      `[fault] malformed: valid events right behind a malformed one: worst latency ${worstNeighbour} ms (run p99 ${summary.p99LatencyMs} ms)`,
    );
    expect(worstNeighbour).toBeLessThanOrEqual(summary.p99LatencyMs + 3_000);
  });
});
