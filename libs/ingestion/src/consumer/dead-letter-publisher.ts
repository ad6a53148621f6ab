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
          'x-error-details': JSON.stringify(errors).slice(0, MAX_DETAILS_LENGTH),
          'x-source-topic': this.config.eventsTopic,
          'x-source-partition': String(partition),
          'x-source-offset': message.offset,
        },
      })),
    });
    for (const { code } of rejected) this.metrics.dlqMessages.inc({ code });
    this.metrics.eventsConsumed.inc({ result: 'invalid' }, rejected.length);
  }
}
