// Test data: Kafka record batches (v2) and fetch record sets, built by hand so tests can make any
// shape quickly, including ones no producer would write.

const BATCH_HEADER_BYTES = 61;
const MAGIC_AT = 16;
const LAST_OFFSET_DELTA_AT = 23;
const PRODUCER_ID_AT = 43;
const RECORDS_COUNT_AT = 57;

function zigzagVarint(value: number): number[] {
  const bytes: number[] = [];
  for (let rest = value * 2; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) return [...bytes, rest];
    bytes.push((rest % 128) | 0x80);
  }
}

/** An uncompressed batch of `count` records with null key and value, from `baseOffset`. */
export function batchOfEmptyRecords(count: number, baseOffset = 0n): Buffer {
  const records: number[] = [];
  for (let offsetDelta = 0; offsetDelta < count; offsetDelta++) {
    // attributes, timestampDelta 0, offsetDelta, key -1, value -1, no headers
    const body = [0, 0, ...zigzagVarint(offsetDelta), 1, 1, 0];
    for (const byte of zigzagVarint(body.length)) records.push(byte);
    for (const byte of body) records.push(byte);
  }
  const batch = Buffer.concat([Buffer.alloc(BATCH_HEADER_BYTES), Buffer.from(records)]);
  batch.writeBigInt64BE(baseOffset, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt8(2, MAGIC_AT);
  batch.writeInt32BE(count - 1, LAST_OFFSET_DELTA_AT);
  batch.writeBigInt64BE(-1n, PRODUCER_ID_AT);
  batch.writeInt32BE(count, RECORDS_COUNT_AT);
  return batch;
}

/** A copy of `batch` moved to `baseOffset`. */
export function withBaseOffset(batch: Buffer, baseOffset: bigint): Buffer {
  const copy = Buffer.from(batch);
  copy.writeBigInt64BE(baseOffset, 0);
  return copy;
}

/** A fetch response's record set: int32 size, then the batches back to back. */
export function recordSetBytes(...batches: Buffer[]): Buffer {
  const body = Buffer.concat(batches);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}
