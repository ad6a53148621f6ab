import type { KafkaMessage } from 'kafkajs';

/**
 * A record batch kafkajs could not decode: its codec threw, it decompressed past the cap of
 * compression-codecs.ts (output plus the work charged for its blocks), it declares more records than
 * one fetch may decode, or its compression type is unknown. Our kafkajs patch
 * (patches/kafkajs+2.2.4.patch) hands such a batch on as ONE placeholder message at the batch's last
 * offset (null key and value, no headers) instead of throwing inside the fetch, so the consumer can
 * dead-letter a stub with these coordinates and commit past it rather than stop for ever. A batch
 * that is only past what its FETCH has left is not a placeholder: it is fetched again. The
 * placeholder of a control batch (a transaction marker) never gets here: it keeps the control flag,
 * kafkajs drops it, and it ends its producer's aborted transaction (filterAbortedMessages.js).
 */
export interface UnreadableBatch {
  /** Offset of the batch's first record (int64 as a decimal string). */
  firstOffset: string;
  /** Offset of its last record, which is also the placeholder's own offset. */
  lastOffset: string;
  /** Why it could not be decoded, e.g. "zstd batch decompresses to more than the 67108864-byte cap". */
  reason: string;
}

/** The unreadable batch this message stands for, or undefined for an ordinary record. */
export function unreadableBatchOf(message: KafkaMessage): UnreadableBatch | undefined {
  const { unreadable } = message as KafkaMessage & { unreadable?: Partial<UnreadableBatch> | null };
  if (unreadable === undefined || unreadable === null) return undefined;
  const { firstOffset, lastOffset, reason } = unreadable;
  if (typeof firstOffset !== 'string' || typeof lastOffset !== 'string' || typeof reason !== 'string') {
    return undefined;
  }
  return { firstOffset, lastOffset, reason };
}
