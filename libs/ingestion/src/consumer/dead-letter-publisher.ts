import { Logger } from '@nestjs/common';
import type { KafkaConfig } from '@lms/config';
import { Metrics } from '@lms/observability';
import type { ParseErrorCode, FieldError } from '@lms/payload-schemas';
import type { KafkaMessage, Producer } from 'kafkajs';

/** A message the LMS sent that cannot be ingested, with why. */
export interface RejectedMessage {
  message: KafkaMessage;
  partition: number;
  code: ParseErrorCode;
  reason: string;
  errors: FieldError[];
}

// Kafka headers are small by convention: keep the detail header bounded whatever the message held.
const MAX_DETAILS_LENGTH = 4000;

/**
 * Sends rejected messages to the dead-letter topic byte for byte (value and key as received), with
 * the reason and the source position in headers, so an operator can fix and replay them.
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
    // acks -1: the offset of a rejected message is committed right after this, so the DLQ copy must
    // be on every in-sync replica first.
    await this.producer.send({
      topic: this.config.dlqTopic,
      acks: -1,
      messages: rejected.map(({ message, partition, code, reason, errors }) => ({
        key: message.key,
        value: message.value,
        headers: {
          'x-error-code': code,
          'x-error-message': reason,
          'x-error-details': boundedDetails(errors),
          'x-source-topic': this.config.eventsTopic,
          'x-source-partition': String(partition),
          'x-source-offset': message.offset,
        },
      })),
    });
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
