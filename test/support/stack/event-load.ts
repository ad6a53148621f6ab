import { buildExampleEvent, type EventName } from '@lms/payload-schemas';
import { CompressionTypes, Kafka, logLevel, Partitioners, type Message, type Producer } from 'kafkajs';

/**
 * Which account and event name the n-th event of a run gets. Account k has one webhook per event name
 * (each subscribed to that name only), so every event causes exactly one delivery and every run can
 * be balanced event by event.
 */
export interface LoadPlan {
  accountIds: readonly number[];
  eventNames: readonly EventName[];
}

export interface ProduceResult {
  count: number;
  startedAt: number;
  finishedAt: number;
  /** Paced runs: how far behind its schedule the producer got at worst (ms). */
  maxProducerLagMs: number;
}

export type ProgressCallback = (produced: number) => void;

const SEND_CHUNK = 500;
const MAX_SENDS_IN_FLIGHT = 4;

export function createBenchKafka(brokers: readonly string[], clientId = 'lmsw-bench'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

export async function connectBenchProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}

export async function createEventsTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [topic, `${topic}.dlq`].filter((name) => !existing.has(name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((name) => ({ topic: name, numPartitions: partitions })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } catch {
    // Best effort: a leftover topic costs disk, not correctness.
  } finally {
    await admin.disconnect();
  }
}

/** Where event `sequence` of a run stands in its account's stream: the order a receiver must keep. */
export interface ProductionPosition {
  accountId: number;
  /** 0, 1, 2, … for the account's events in the order they are produced (the account's Kafka key). */
  accountSequence: number;
}

/**
 * Accounts take turns (sequence i belongs to account i mod n), so an account's events are its every
 * n-th sequence and its own order is `floor(i / n)`.
 */
export function productionPosition(plan: LoadPlan, sequence: number): ProductionPosition {
  return {
    accountId: plan.accountIds[sequence % plan.accountIds.length],
    accountSequence: Math.floor(sequence / plan.accountIds.length),
  };
}

/** Event `sequence` of `run`, as the LMS puts it on the wire (key = accountId). `timestamp` = its scheduled produce time. */
export function wireEvent(plan: LoadPlan, run: string, sequence: number, timestamp: number): Message {
  const { accountId } = productionPosition(plan, sequence);
  const name = plan.eventNames[Math.floor(sequence / plan.accountIds.length) % plan.eventNames.length];
  const { realtime: _realtime, ...event } = buildExampleEvent(name, {
    accountId,
    eventId: `${run}-${sequence}`,
    timestamp,
  });
  return { key: String(accountId), value: JSON.stringify(event) };
}

/**
 * Sends until the broker takes the messages. A broker restart makes sends fail for a while; the same
 * messages are sent again (a copy that did land is recognised by the ingestion's de-duplication).
 */
export async function sendPersistently(
  producer: Producer,
  topic: string,
  messages: Message[],
  giveUpAfterMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + giveUpAfterMs;
  for (;;) {
    try {
      await producer.send({ topic, acks: -1, compression: CompressionTypes.None, messages });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** All `count` events as fast as the broker takes them (a few sends in flight). */
export async function produceBurst(
  producer: Producer,
  topic: string,
  plan: LoadPlan,
  run: string,
  count: number,
  onProgress?: ProgressCallback,
  firstSequence = 0,
): Promise<ProduceResult> {
  const startedAt = Date.now();
  let next = firstSequence;
  let produced = 0;
  const end = firstSequence + count;
  const worker = async () => {
    while (next < end) {
      const from = next;
      const to = Math.min(end, from + SEND_CHUNK);
      next = to;
      const now = Date.now();
      const messages: Message[] = [];
      for (let sequence = from; sequence < to; sequence += 1)
        messages.push(wireEvent(plan, run, sequence, now));
      await sendPersistently(producer, topic, messages);
      produced += messages.length;
      onProgress?.(produced);
    }
  };
  await Promise.all(Array.from({ length: MAX_SENDS_IN_FLIGHT }, worker));
  return { count, startedAt, finishedAt: Date.now(), maxProducerLagMs: 0 };
}

/**
 * `count` events at `ratePerSecond`: event i is scheduled at start + i/rate and carries that time as
 * its timestamp, so a producer that falls behind shows up as latency instead of hiding it.
 *
 * One send at a time, like an LMS producer that keeps each account's order (max one request in
 * flight): with several sends in flight, a send that fails during a broker restart and is resent
 * lands behind later ones, and the partition (the order receivers are held to) would no longer be
 * sequence order. Messages due while a send is out go in the next one, so the rate holds.
 */
export async function producePaced(
  producer: Producer,
  topic: string,
  plan: LoadPlan,
  run: string,
  count: number,
  ratePerSecond: number,
  onProgress?: ProgressCallback,
  firstSequence = 0,
): Promise<ProduceResult> {
  const startedAt = Date.now() + 20;
  const scheduledAt = (index: number) => startedAt + (index * 1000) / ratePerSecond;
  let index = 0;
  let produced = 0;
  let maxProducerLagMs = 0;
  while (index < count) {
    const now = Date.now();
    const messages: Message[] = [];
    while (index < count && scheduledAt(index) <= now && messages.length < SEND_CHUNK) {
      messages.push(wireEvent(plan, run, firstSequence + index, Math.round(scheduledAt(index))));
      index += 1;
    }
    if (messages.length > 0) {
      maxProducerLagMs = Math.max(maxProducerLagMs, now - scheduledAt(index - messages.length));
      await sendPersistently(producer, topic, messages);
      produced += messages.length;
      onProgress?.(produced);
    }
    const wait = index < count ? scheduledAt(index) - Date.now() : 0;
    // Wake every few ms at most: small sends keep the stream smooth at any rate.
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(5, wait))));
  }
  return { count, startedAt, finishedAt: Date.now(), maxProducerLagMs: Math.round(maxProducerLagMs) };
}
