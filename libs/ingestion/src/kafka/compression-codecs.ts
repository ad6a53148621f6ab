import { Decompress } from 'fzstd';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { decompressBlock } from 'lz4js';
import { uncompress as snappyUncompress } from 'snappyjs';
import { promisify } from 'node:util';
import { gzip as gzipCallback, unzip as unzipCallback } from 'node:zlib';

const gzip = promisify(gzipCallback);
const unzip = promisify(unzipCallback);

/**
 * Default cap on the decompressed size of ONE record batch. A batch is at most the broker's
 * message.max.bytes compressed (1 MiB by default) and LMS events are ~400 bytes, so a real batch
 * decompresses to a few MiB; 64 MiB leaves room for large envelopes while a decompression bomb
 * (a few KiB that expand to gigabytes) fails its batch instead of exhausting the heap.
 */
export const DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * zstd decoders allocate the frame's declared window up front. Producers (Kafka's zstd-jni at any
 * level without long mode) declare at most 8 MiB; a larger window than max(cap, 8 MiB) is refused
 * before any allocation, so a forged header cannot make us allocate gigabytes.
 */
const ZSTD_MAX_WINDOW_FLOOR = 8 * 1024 * 1024;

/** A record batch whose compressed records cannot be turned back into bytes within the cap. */
export class BatchDecompressionError extends Error {
  override readonly name = 'BatchDecompressionError';
}

/** The decoder half of a kafkajs codec; kafkajs awaits it while decoding a fetch response. */
export interface BatchCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * Puts decoders for every compression the Java client writes into kafkajs's codec registry (a
 * module-level table shared by every kafkajs client in the process), each refusing to produce more
 * than maxDecompressedBatchBytes for one batch. gzip is replaced too, so the cap covers it.
 * Idempotent; the last call's cap wins.
 */
export function registerCompressionCodecs(
  maxDecompressedBatchBytes = DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES,
): void {
  if (!Number.isSafeInteger(maxDecompressedBatchBytes) || maxDecompressedBatchBytes < 1) {
    throw new RangeError(
      `maxDecompressedBatchBytes must be a positive integer (got ${maxDecompressedBatchBytes})`,
    );
  }
  const codecs = compressionCodecs(maxDecompressedBatchBytes);
  CompressionCodecs[CompressionTypes.GZIP] = () => codecs.gzip;
  CompressionCodecs[CompressionTypes.Snappy] = () => codecs.snappy;
  CompressionCodecs[CompressionTypes.LZ4] = () => codecs.lz4;
  CompressionCodecs[CompressionTypes.ZSTD] = () => codecs.zstd;
}

/** The four codecs with their cap, for registration and for tests. */
export function compressionCodecs(maxBytes: number): Record<'gzip' | 'snappy' | 'lz4' | 'zstd', BatchCodec> {
  // We only consume these; producing them (the DLQ producer uses gzip) is not needed.
  const decodeOnly = (name: string) => async (): Promise<Buffer> => {
    throw new Error(`${name} compression is not supported for producing (decode only); use GZIP`);
  };
  const sync = (decode: (input: Buffer, max: number) => Buffer) => async (input: Buffer) =>
    decode(input, maxBytes);
  return {
    gzip: {
      compress: async (encoder) => gzip(encoder.buffer),
      decompress: (input) => gunzipCapped(input, maxBytes),
    },
    snappy: { compress: decodeOnly('snappy'), decompress: sync(snappyDecompress) },
    lz4: { compress: decodeOnly('lz4'), decompress: sync(lz4Decompress) },
    zstd: { compress: decodeOnly('zstd'), decompress: sync(zstdDecompress) },
  };
}

function capExceeded(codec: string, maxBytes: number): BatchDecompressionError {
  return new BatchDecompressionError(`${codec} batch decompresses to more than the ${maxBytes}-byte cap`);
}

function corrupt(codec: string, detail: string): BatchDecompressionError {
  return new BatchDecompressionError(`${codec} batch is corrupt: ${detail}`);
}

/** gzip (and zlib) with zlib's own output limit: it stops inflating as soon as the cap is passed. */
export async function gunzipCapped(input: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await unzip(input, { maxOutputLength: maxBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw capExceeded('gzip', maxBytes);
    throw corrupt('gzip', (error as Error).message);
  }
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16; // magic, int32 version, int32 minimum compatible version

/**
 * snappy as the Java client writes it (snappy-java's SnappyOutputStream: the xerial header, then
 * chunks of int32 big-endian length + one raw snappy block), or one raw snappy block. Each block
 * declares its decoded length first, so the cap is checked before anything is allocated.
 */
export function snappyDecompress(input: Buffer, maxBytes: number): Buffer {
  const decodeBlock = (block: Buffer, room: number): Buffer => {
    try {
      return snappyUncompress(block, room);
    } catch (error) {
      const message = (error as Error).message;
      if (message.includes('too big')) throw capExceeded('snappy', maxBytes);
      throw corrupt('snappy', message);
    }
  };
  if (input.length < XERIAL_HEADER_BYTES || !input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    return decodeBlock(input, maxBytes);
  }
  const blocks: Buffer[] = [];
  let total = 0;
  for (let position = XERIAL_HEADER_BYTES; position < input.length;) {
    if (position + 4 > input.length) throw corrupt('snappy', 'truncated chunk length');
    const length = input.readInt32BE(position);
    position += 4;
    if (length < 0 || position + length > input.length) throw corrupt('snappy', 'chunk runs past the batch');
    const block = decodeBlock(input.subarray(position, position + length), maxBytes - total);
    position += length;
    total += block.length;
    blocks.push(block);
  }
  return Buffer.concat(blocks, total);
}

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX_BYTES: Record<number, number> = { 4: 0x10000, 5: 0x40000, 6: 0x100000, 7: 0x400000 };
const LZ4_UNCOMPRESSED_BLOCK = 0x80000000;

/**
 * The LZ4 frame format as Kafka (magic ≥ 1, KafkaLZ4BlockOutputStream) writes it: magic, FLG, BD,
 * optional content size and dictionary id, header checksum, then blocks (int32 little-endian size
 * whose top bit marks a stored block, data, optional block checksum) up to a zero end mark. Blocks
 * are decoded one by one into one output buffer (dependent blocks may refer back into it), which is
 * never larger than the cap: the first block that would pass it fails the batch.
 */
export function lz4Decompress(input: Buffer, maxBytes: number): Buffer {
  if (input.length < 7 || input.readUInt32LE(0) !== LZ4_FRAME_MAGIC) throw corrupt('lz4', 'not an LZ4 frame');
  const flags = input[4];
  if (flags >> 6 !== 1) throw corrupt('lz4', `unsupported frame version ${flags >> 6}`);
  const hasBlockChecksum = (flags & 0x10) !== 0;
  const hasContentSize = (flags & 0x08) !== 0;
  const hasDictionaryId = (flags & 0x01) !== 0;
  const blockMaxBytes = LZ4_BLOCK_MAX_BYTES[(input[5] >> 4) & 0x07];
  if (blockMaxBytes === undefined) throw corrupt('lz4', 'invalid block maximum size');
  let position = 6;
  if (hasContentSize) {
    if (input.readBigUInt64LE(position) > BigInt(maxBytes)) throw capExceeded('lz4', maxBytes);
    position += 8;
  }
  if (hasDictionaryId) position += 4;
  // Header, block and content checksums are not verified: kafkajs does not verify batch CRCs either,
  // and the broker validated the batch when it was produced.
  position += 1; // header checksum

  // Every block header is read first: the output buffer is sized to what the blocks can hold at most.
  const blocks: Array<{ start: number; size: number; stored: boolean }> = [];
  let bound = 0;
  for (;;) {
    if (position + 4 > input.length) throw corrupt('lz4', 'truncated before the end mark');
    const word = input.readUInt32LE(position);
    position += 4;
    if (word === 0) break;
    const stored = (word & LZ4_UNCOMPRESSED_BLOCK) !== 0;
    const size = word & ~LZ4_UNCOMPRESSED_BLOCK;
    if (size > blockMaxBytes || position + size > input.length)
      throw corrupt('lz4', 'block runs past the batch');
    blocks.push({ start: position, size, stored });
    bound += stored ? size : blockMaxBytes;
    position += size + (hasBlockChecksum ? 4 : 0);
  }

  const output = Buffer.allocUnsafe(Math.min(bound, maxBytes));
  let written = 0;
  for (const { start, size, stored } of blocks) {
    const end = stored ? written + size : decompressBlock(input, output, start, size, written);
    if (end > output.length) {
      throw end > maxBytes ? capExceeded('lz4', maxBytes) : corrupt('lz4', 'block larger than its maximum');
    }
    if (stored) input.copy(output, written, start, start + size);
    written = end;
  }
  return output.subarray(0, written);
}

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const ZSTD_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

/**
 * zstd, one or more frames (zstd-jni's streaming encoder writes one, without a content size). The
 * frame headers are checked first (window and declared size within bounds), then fzstd decodes
 * block by block (at most 128 KiB each) and the first block past the cap stops it.
 */
export function zstdDecompress(input: Buffer, maxBytes: number): Buffer {
  checkZstdFrameHeaders(input, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new Decompress((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw capExceeded('zstd', maxBytes);
    chunks.push(chunk);
  });
  try {
    stream.push(input, true);
  } catch (error) {
    if (error instanceof BatchDecompressionError) throw error;
    throw corrupt('zstd', (error as Error).message);
  }
  return Buffer.concat(chunks, total);
}

/** Walks every frame's header and block headers (no decoding) and refuses oversized declarations. */
function checkZstdFrameHeaders(input: Buffer, maxBytes: number): void {
  const maxWindow = Math.max(maxBytes, ZSTD_MAX_WINDOW_FLOOR);
  let position = 0;
  while (position < input.length) {
    if (position + 8 > input.length) throw corrupt('zstd', 'truncated frame');
    const magic = input.readUInt32LE(position);
    if ((magic & ZSTD_SKIPPABLE_MAGIC_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) {
      position += 8 + input.readUInt32LE(position + 4);
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) throw corrupt('zstd', 'not a zstd frame');
    const descriptor = input[position + 4];
    const sizeFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const hasChecksum = (descriptor & 0x04) !== 0;
    const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03];
    let cursor = position + 5;
    let window = 0;
    if (!singleSegment) {
      const windowDescriptor = input[cursor++];
      const base = 2 ** (10 + (windowDescriptor >> 3));
      window = base + (base / 8) * (windowDescriptor & 0x07);
    }
    cursor += dictionaryIdBytes;
    const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag];
    if (cursor + sizeBytes > input.length) throw corrupt('zstd', 'truncated frame header');
    if (sizeBytes > 0) {
      const declared =
        sizeBytes === 8
          ? input.readBigUInt64LE(cursor)
          : BigInt(input.readUIntLE(cursor, sizeBytes) + (sizeBytes === 2 ? 256 : 0));
      if (declared > BigInt(maxBytes)) throw capExceeded('zstd', maxBytes);
      if (singleSegment) window = Number(declared);
    }
    if (window > maxWindow) throw corrupt('zstd', `window of ${window} bytes is above ${maxWindow}`);
    cursor += sizeBytes;
    for (let last = false; !last;) {
      if (cursor + 3 > input.length) throw corrupt('zstd', 'truncated block header');
      const header = input.readUIntLE(cursor, 3);
      last = (header & 1) === 1;
      const type = (header >> 1) & 0x03;
      if (type === 3) throw corrupt('zstd', 'reserved block type');
      cursor += 3 + (type === 1 ? 1 : header >>> 3); // an RLE block stores one byte
    }
    position = cursor + (hasChecksum ? 4 : 0);
  }
}
