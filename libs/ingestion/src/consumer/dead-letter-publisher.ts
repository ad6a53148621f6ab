import { Logger } from '@nestjs/common';
import type { KafkaConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import type { ParseErrorCode, FieldError } from '@lms/payload-schemas';
import { CompressionTypes, type IHeaders, type KafkaMessage, type Message, type Producer } from 'kafkajs';

/**
 * Why a record is dead-lettered: a parse/validation code, or
 * - STORE_REJECTED: Postgres refused the record's content (found by splitting the batch);
 * - UNREADABLE_BATCH: the record batch could not be decoded (corrupt, or a decompression bomb);
 * - PARSE_CRASHED: parsing threw, which it never should; the record is set aside all the same.
 */
export type DeadLetterCode = ParseErrorCode | 'STORE_REJECTED' | 'UNREADABLE_BATCH' | 'PARSE_CRASHED';

/** A message the LMS sent that cannot be ingested, with why. */
export interface RejectedMessage {
  message: KafkaMessage;
  partition: number;
  code: DeadLetterCode;
  reason: string;
  errors: FieldError[];
  /** For UNREADABLE_BATCH: the batch's first offset (the message's own offset is its last). */
  firstOffset?: string;
}

// Kafka headers are small by convention: keep the detail header bounded whatever the message held.
const MAX_DETAILS_LENGTH = 4000;
// The broker refuses a record batch above message.max.bytes (1 MB by default), compressed size. One
// produce call carries at most this much uncompressed, so even incompressible copies fit; a single
// record above it goes alone, compressed, and becomes a stub only if the broker still refuses it.
const MAX_PRODUCE_BYTES = 512 * 1024;
const MAX_STUB_SOURCE_HEADER_BYTES = 16 * 1024;
// Our own headers win over the record's: a producer cannot forge the reason or the source position.
const RESERVED_HEADER = /^x-(error|source|dlq)-/i;

/**
 * Sends rejected messages to the dead-letter topic byte for byte (value, key and the record's own
 * headers as received), with the reason and the source position in `x-error-*` / `x-source-*`
 * headers, so an operator can fix and replay them. Copies go gzip-compressed in size-bounded produce
 * calls; a copy the broker will not take is replaced by a stub with its coordinates, so nothing is
 * skipped silently and no record can stop the partition.
 */
export class DeadLetterPublisher {
  private readonly logger = new Logger(DeadLetterPublisher.name);

  constructor(
    private readonly producer: Producer,
    private readonly config: KafkaConfig,
    private readonly metrics: Metrics,
  ) {}

  async publish(rejected: readonly RejectedMessage[]): Promise<void> {
    if (rejected.length === 0) return;
    let chunk: RejectedMessage[] = [];
    let chunkBytes = 0;
    for (const entry of rejected) {
      const bytes = copySize(entry);
      if (chunk.length > 0 && chunkBytes + bytes > MAX_PRODUCE_BYTES) {
        await this.send(chunk);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(entry);
      chunkBytes += bytes;
    }
    await this.send(chunk);

    for (const { code, reason, partition, message } of rejected) {
      this.metrics.dlqMessages.inc({ code });
      this.logger.warn({
        msg: `message sent to ${this.config.dlqTopic}: ${reason}`,
        code,
        sourceTopic: this.config.eventsTopic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8').slice(0, 64),
      });
    }
    this.metrics.eventsConsumed.inc({ result: 'invalid' }, rejected.length);
  }

  private async send(chunk: readonly RejectedMessage[]): Promise<void> {
    try {
      await this.produce(chunk.map((entry) => this.copyOf(entry)));
    } catch (error) {
      if (!isTooLarge(error)) throw error;
      if (chunk.length > 1) {
        // One member is too large for the broker even compressed: send them one by one to find it.
        for (const entry of chunk) await this.send([entry]);
        return;
      }
      const [entry] = chunk;
      this.metrics.dlqStubs.inc({ code: entry.code });
      await this.produce([this.stubOf(entry)]);
    }
  }

  // acks -1: the offset of a rejected message is committed right after this, so the DLQ copy must
  // be on every in-sync replica first.
  private async produce(messages: Message[]): Promise<void> {
    await this.producer.send({
      topic: this.config.dlqTopic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages,
    });
  }

  private copyOf(entry: RejectedMessage): Message {
    return {
      key: entry.message.key,
      value: entry.message.value,
      headers: { ...sourceHeaders(entry.message.headers), ...this.reasonHeaders(entry) },
    };
  }

  /** What stands in for a copy the broker refused: where the record is, how big, and why it was rejected. */
  private stubOf(entry: RejectedMessage): Message {
    const size = entry.message.value?.length ?? 0;
    const coordinates = {
      topic: this.config.eventsTopic,
      partition: entry.partition,
      offset: entry.message.offset,
      size,
      code: entry.code,
      reason: entry.reason,
    };
    return {
      key: entry.message.key !== null && entry.message.key.length <= 1024 ? entry.message.key : null,
      value: Buffer.from(JSON.stringify({ stub: true, ...coordinates })),
      headers: {
        // The record's own headers still identify it (trace ids, producer names) unless they are what is too large.
        ...(headersSize(entry.message.headers) <= MAX_STUB_SOURCE_HEADER_BYTES
          ? sourceHeaders(entry.message.headers)
          : {}),
        ...this.reasonHeaders(entry),
        'x-dlq-stub': 'true',
        'x-source-value-bytes': String(size),
      },
    };
  }

  private reasonHeaders({
    code,
    reason,
    errors,
    partition,
    message,
    firstOffset,
  }: RejectedMessage): IHeaders {
    return {
      'x-error-code': code,
      'x-error-message': reason,
      'x-error-details': boundedDetails(errors),
      'x-source-topic': this.config.eventsTopic,
      'x-source-partition': String(partition),
      'x-source-offset': message.offset,
      ...(firstOffset !== undefined ? { 'x-source-first-offset': firstOffset } : {}),
    };
  }
}

function sourceHeaders(headers: IHeaders | undefined): IHeaders {
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!RESERVED_HEADER.test(name) && value !== undefined) kept[name] = value;
  }
  return kept;
}

/** The uncompressed size of a record's copy: value, key, the record's own headers and ours. */
function copySize({ message }: RejectedMessage): number {
  return (
    (message.value?.length ?? 0) +
    (message.key?.length ?? 0) +
    headersSize(message.headers) +
    MAX_DETAILS_LENGTH +
    1024
  );
}

function headersSize(headers: IHeaders | undefined): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) bytes += name.length + (item === undefined ? 0 : Buffer.byteLength(item));
  }
  return bytes;
}

/** The broker's "too large" answer, however deep kafkajs wrapped it (its retrier wraps non-retriable errors). */
function isTooLarge(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { type, cause } = current as { type?: unknown; cause?: unknown };
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    current = cause;
  }
  return false;
}

/** The field errors as JSON that stays valid JSON: whole entries only, as many as fit the header budget. */
export function boundedDetails(errors: readonly FieldError[]): string {
  const kept: FieldError[] = [];
  let length = 2;
  for (const error of errors) {
    const entry = JSON.stringify(error).length + 1;
    if (length + entry > MAX_DETAILS_LENGTH) break;
    kept.push(error);
    length += entry;
  }
  return JSON.stringify(kept);
}
