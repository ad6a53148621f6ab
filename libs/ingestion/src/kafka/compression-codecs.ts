import { decompress as zstdDecompressWhole, Decompress as ZstdStream } from 'fzstd';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
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

/**
 * A record batch whose compressed records cannot be turned back into bytes within the limit.
 * fetchBudgetExceeded: the limit it passed was only what its fetch had left, not the batch cap; our
 * kafkajs patch reads this flag and leaves the batch for the next fetch instead of giving it up.
 */
export class BatchDecompressionError extends Error {
  override readonly name = 'BatchDecompressionError';

  constructor(
    message: string,
    readonly fetchBudgetExceeded = false,
  ) {
    super(message);
  }
}

/**
 * What our kafkajs patch hands a codec with each batch (patches/kafkajs+2.2.4.patch,
 * fetchDecodeBudget.js); absent when a batch is decoded on its own.
 */
export interface DecompressLimit {
  /** Decompressed bytes the batch's fetch has left. */
  maxBytes?: number;
  /**
   * Set by the codec: bytes charged on top of the output for work that produces none (zstd's window
   * shifting), so the fetch's budget bounds CPU as well as memory.
   */
  workCharge?: number;
}

/** The decoder half of a kafkajs codec; kafkajs awaits it while decoding a fetch response. */
export interface BatchCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer, limit?: DecompressLimit): Promise<Buffer>;
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

/**
 * The cap one decode works under: the batch cap, or what the fetch has left if that is less (the
 * error then names the fetch, and the patch retries the batch in a later fetch).
 */
export interface DecodeCap {
  maxBytes: number;
  /** Ends "...decompresses to more than <this>". */
  describe: string;
  /** The limit is what the fetch has left, below the batch cap. */
  fromFetch: boolean;
}

function decodeCap(batchCap: number, limit: DecompressLimit | undefined): DecodeCap {
  const fetchLeft = limit?.maxBytes;
  if (fetchLeft === undefined || !(fetchLeft < batchCap)) {
    return { maxBytes: batchCap, describe: `the ${batchCap}-byte cap`, fromFetch: false };
  }
  const left = Math.max(0, Math.floor(fetchLeft));
  return { maxBytes: left, describe: `the ${left} bytes its fetch has left`, fromFetch: true };
}

/** The four codecs with their cap, for registration and for tests. */
export function compressionCodecs(maxBytes: number): Record<'gzip' | 'snappy' | 'lz4' | 'zstd', BatchCodec> {
  // We only consume these; producing them (the DLQ producer uses gzip) is not needed.
  const decodeOnly = (name: string) => async (): Promise<Buffer> => {
    throw new Error(`${name} compression is not supported for producing (decode only); use GZIP`);
  };
  const sync =
    (decode: (input: Buffer, cap: DecodeCap, limit?: DecompressLimit) => Buffer) =>
    async (input: Buffer, limit?: DecompressLimit) =>
      decode(input, decodeCap(maxBytes, limit), limit);
  return {
    gzip: {
      compress: async (encoder) => gzip(encoder.buffer),
      decompress: (input, limit) => gunzipCapped(input, decodeCap(maxBytes, limit)),
    },
    snappy: { compress: decodeOnly('snappy'), decompress: sync(snappyDecompress) },
    lz4: { compress: decodeOnly('lz4'), decompress: sync(lz4Decompress) },
    zstd: { compress: decodeOnly('zstd'), decompress: sync(zstdDecompress) },
  };
}

function capExceeded(codec: string, cap: DecodeCap): BatchDecompressionError {
  return new BatchDecompressionError(
    `${codec} batch decompresses to more than ${cap.describe}`,
    cap.fromFetch,
  );
}

/** A plain byte count as the cap, for callers that decode outside a fetch (tests, tools). */
function asCap(cap: number | DecodeCap): DecodeCap {
  return typeof cap === 'number' ? decodeCap(cap, undefined) : cap;
}

/**
 * Every block (snappy chunk, LZ4 block, zstd block) is charged this much on top of its output: a
 * block costs fixed work (headers, a call, an allocation) whatever it holds, so a batch of a million
 * empty blocks is over its cap instead of a second of CPU per megabyte. Measured: fzstd spends
 * ~3 µs on a one-byte block, about what it takes to decode 1 KiB. Blocks the Java client writes
 * (32 KiB snappy chunks, 64 KiB LZ4 blocks, 128 KiB zstd blocks) are charged 3 to 13 % more.
 */
export const BLOCK_CHARGE_BYTES = 4 * 1024;

function corrupt(codec: string, detail: string): BatchDecompressionError {
  return new BatchDecompressionError(`${codec} batch is corrupt: ${detail}`);
}

/** gzip (and zlib) with zlib's own output limit: it stops inflating as soon as the cap is passed. */
export async function gunzipCapped(input: Buffer, cap: number | DecodeCap): Promise<Buffer> {
  const { maxBytes } = asCap(cap);
  let output: Buffer;
  try {
    // zlib refuses a maxOutputLength of 0; an empty output is all that fits then.
    output = await unzip(input, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw capExceeded('gzip', asCap(cap));
    throw corrupt('gzip', (error as Error).message);
  }
  if (output.length > maxBytes) throw capExceeded('gzip', asCap(cap));
  return output;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]); // \x82SNAPPY\0
const XERIAL_HEADER_BYTES = 16; // magic, int32 version, int32 minimum compatible version

/**
 * snappy as the Java client writes it (snappy-java's SnappyOutputStream: the xerial header, then
 * chunks of int32 big-endian length + one raw snappy block), or one raw snappy block. Each block
 * declares its decoded length first, so the cap is checked before anything is allocated.
 */
export function snappyDecompress(
  input: Buffer,
  capOrBytes: number | DecodeCap,
  limit?: DecompressLimit,
): Buffer {
  const cap = asCap(capOrBytes);
  const { maxBytes } = cap;
  const decodeBlock = (block: Buffer, room: number): Buffer => {
    try {
      return snappyUncompress(block, room);
    } catch (error) {
      const message = (error as Error).message;
      if (message.includes('too big')) throw capExceeded('snappy', cap);
      throw corrupt('snappy', message);
    }
  };
  if (input.length < XERIAL_HEADER_BYTES || !input.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)) {
    if (BLOCK_CHARGE_BYTES > maxBytes) throw capExceeded('snappy', cap);
    const block = decodeBlock(input, maxBytes - BLOCK_CHARGE_BYTES);
    if (limit !== undefined) limit.workCharge = BLOCK_CHARGE_BYTES;
    return block;
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let charged = 0;
  for (let position = XERIAL_HEADER_BYTES; position < input.length;) {
    if (position + 4 > input.length) throw corrupt('snappy', 'truncated chunk length');
    const length = input.readInt32BE(position);
    position += 4;
    if (length < 0 || position + length > input.length) throw corrupt('snappy', 'chunk runs past the batch');
    charged += BLOCK_CHARGE_BYTES;
    if (charged + total > maxBytes) throw capExceeded('snappy', cap);
    const block = decodeBlock(input.subarray(position, position + length), maxBytes - charged - total);
    position += length;
    total += block.length;
    blocks.push(block);
  }
  if (limit !== undefined) limit.workCharge = charged;
  return Buffer.concat(blocks, total);
}

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX_BYTES: Record<number, number> = { 4: 0x10000, 5: 0x40000, 6: 0x100000, 7: 0x400000 };
const LZ4_UNCOMPRESSED_BLOCK = 0x80000000;
const LZ4_MIN_MATCH = 4;
/** What decodeLz4Block returns when the next literal run or match would cross its limit. */
const LZ4_PAST_END = -1;
const SHORT_COPY_BYTES = 32;
// An output buffer this much larger than what was written is copied to its exact size, so a batch's
// few bytes never keep a block-sized allocation alive (the fetch budget counts bytes returned).
const OVERSIZE_SLACK_BYTES = 64 * 1024;

/**
 * The LZ4 frame format as Kafka (magic ≥ 1, KafkaLZ4BlockOutputStream) writes it: magic, FLG, BD,
 * optional content size and dictionary id, header checksum, then blocks (int32 little-endian size
 * whose top bit marks a stored block, data, optional block checksum) up to a zero end mark. Blocks
 * are decoded one by one into one output buffer (dependent blocks may refer back into it) that
 * grows as needed and never past the cap. The block decoder checks every literal run and match
 * against the buffer's end before copying it: work stops at the cap, not ~255× the input later.
 */
export function lz4Decompress(
  input: Buffer,
  capOrBytes: number | DecodeCap,
  limit?: DecompressLimit,
): Buffer {
  const cap = asCap(capOrBytes);
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
    if (input.readBigUInt64LE(position) > BigInt(cap.maxBytes)) throw capExceeded('lz4', cap);
    position += 8;
  }
  if (hasDictionaryId) position += 4;
  // Header, block and content checksums are not verified: kafkajs does not verify batch CRCs either,
  // and the broker validated the batch when it was produced.
  position += 1; // header checksum

  let output = Buffer.allocUnsafe(0);
  let written = 0;
  let charged = 0;
  for (;;) {
    if (position + 4 > input.length) throw corrupt('lz4', 'truncated before the end mark');
    const word = input.readUInt32LE(position);
    position += 4;
    if (word === 0) break;
    const stored = (word & LZ4_UNCOMPRESSED_BLOCK) !== 0;
    const size = word & ~LZ4_UNCOMPRESSED_BLOCK;
    if (size > blockMaxBytes || position + size > input.length)
      throw corrupt('lz4', 'block runs past the batch');
    charged += BLOCK_CHARGE_BYTES;
    const room = cap.maxBytes - charged; // what the output may reach
    if (written > room) throw capExceeded('lz4', cap);

    // Room for this block's largest possible output, up to the cap; doubling keeps growth linear.
    const needed = Math.min(written + (stored ? size : blockMaxBytes), room);
    if (needed > output.length) {
      const grown = Buffer.allocUnsafe(Math.min(room, Math.max(needed, 2 * output.length)));
      output.copy(grown, 0, 0, written);
      output = grown;
    }
    const blockEnd = Math.min(room, written + blockMaxBytes);
    const end = stored
      ? written + size
      : decodeLz4Block(input, position, position + size, output, written, blockEnd);
    if (end === LZ4_PAST_END || end > room) {
      // Stopped at the block's maximum before the cap: the block is malformed, not too large.
      const pastBlockMax = end === LZ4_PAST_END && blockEnd < room;
      throw pastBlockMax ? corrupt('lz4', 'block larger than its maximum') : capExceeded('lz4', cap);
    }
    if (stored) input.copy(output, written, position, position + size);
    written = end;
    position += size + (hasBlockChecksum ? 4 : 0);
  }
  if (limit !== undefined) limit.workCharge = charged;
  return exactly(output, written);
}

/**
 * Decodes one LZ4 block, input[start, end), into output from `at`, never writing at or past `limit`.
 * Returns the index after the last byte written, or LZ4_PAST_END as soon as a literal run or a match
 * would cross `limit` (before copying it). Throws on malformed sequences.
 */
export function decodeLz4Block(
  input: Uint8Array,
  start: number,
  end: number,
  output: Buffer,
  at: number,
  limit: number,
): number {
  let source = start;
  let target = at;
  const readLength = (initial: number): number => {
    let length = initial;
    if (initial === 15) {
      let byte: number;
      do {
        if (source >= end) throw corrupt('lz4', 'truncated length');
        byte = input[source++];
        length += byte;
      } while (byte === 255);
    }
    return length;
  };
  while (source < end) {
    const token = input[source++];
    const literals = readLength(token >> 4);
    if (source + literals > end) throw corrupt('lz4', 'literals run past the block');
    if (target + literals > limit) return LZ4_PAST_END;
    // Short runs byte by byte: a native copy costs more than it saves below a few dozen bytes.
    if (literals < SHORT_COPY_BYTES) {
      for (let index = 0; index < literals; index++) output[target + index] = input[source + index];
    } else {
      output.set(input.subarray(source, source + literals), target);
    }
    source += literals;
    target += literals;
    if (source >= end) break; // the last sequence has literals only
    if (source + 2 > end) throw corrupt('lz4', 'truncated match offset');
    const offset = input[source] | (input[source + 1] << 8);
    source += 2;
    if (offset === 0 || offset > target) throw corrupt('lz4', 'match offset outside the output');
    const matchLength = readLength(token & 0x0f) + LZ4_MIN_MATCH;
    if (target + matchLength > limit) return LZ4_PAST_END;
    // An overlapping match repeats the last `offset` bytes: copy in runs that double each time.
    const from = target - offset;
    if (matchLength < SHORT_COPY_BYTES) {
      for (let index = 0; index < matchLength; index++) output[target + index] = output[from + index];
      target += matchLength;
      continue;
    }
    for (let copied = 0; copied < matchLength;) {
      const run = Math.min(matchLength - copied, target + copied - from);
      output.copyWithin(target + copied, from, from + run);
      copied += run;
    }
    target += matchLength;
  }
  return target;
}

/** output[0, length), copied out if the buffer is much larger, so no slack stays alive behind it. */
function exactly(output: Buffer, length: number): Buffer {
  if (output.length - length <= Math.max(OVERSIZE_SLACK_BYTES, length >> 2))
    return output.subarray(0, length);
  return Buffer.from(output.subarray(0, length));
}

const ZSTD_FRAME_MAGIC = 0xfd2fb528;
const ZSTD_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;
const ZSTD_BLOCK_MAX_BYTES = 128 * 1024;
const ZSTD_MIN_WINDOW = 1024;
/**
 * fzstd's streaming decoder (for frames without a content size, which is how zstd-jni writes them)
 * keeps the last window of output and shifts the whole window after every block. That work is
 * charged against the cap on top of the output: one byte per this many bytes shifted. A
 * Java-written frame (blocks of 128 KiB, window ≤ 8 MiB) is charged at most its output again; a
 * frame of many tiny blocks under a large window, whose shifting would run into terabytes, is over
 * the cap before anything is decoded.
 */
export const ZSTD_WINDOW_BYTES_PER_CHARGED_BYTE = 64;

/** One zstd frame, as its headers describe it (checked before any decoding). */
interface ZstdFrame {
  start: number;
  end: number;
  /** Offset of the Window_Descriptor byte, when the frame has one. */
  windowDescriptorAt?: number;
  window: number;
  contentSize?: number;
  blocks: number;
  /** The most its blocks can decode to (raw and RLE: their size; compressed: the block maximum). */
  outputBound: number;
}

/**
 * zstd, one or more frames. Every frame's headers and block headers are walked first (no decoding):
 * declared sizes and windows above the cap, and frames whose output plus window shifting would pass
 * it, are refused before any allocation or work. A frame that declares its content size is decoded
 * in one pass into a buffer of exactly that size. One that does not is streamed by fzstd with its
 * window narrowed to what the frame can output at most (matches never reach further back), so a
 * small frame that declares a huge window costs what it outputs.
 */
export function zstdDecompress(
  input: Buffer,
  capOrBytes: number | DecodeCap,
  limit?: DecompressLimit,
): Buffer {
  const cap = asCap(capOrBytes);
  const frames = readZstdFrames(input, cap);
  let workCharge = 0;
  for (const frame of frames) {
    workCharge += frame.blocks * BLOCK_CHARGE_BYTES;
    if (frame.contentSize === undefined) workCharge += shiftingCharge(frame);
    if (workCharge > cap.maxBytes) throw capExceeded('zstd', cap);
  }

  const chunks: Uint8Array[] = [];
  let total = 0;
  const keep = (chunk: Uint8Array) => {
    total += chunk.length;
    if (workCharge + total > cap.maxBytes) throw capExceeded('zstd', cap);
    chunks.push(chunk);
  };
  try {
    for (const frame of frames) {
      if (frame.contentSize !== undefined) {
        keep(zstdDecompressWhole(input.subarray(frame.start, frame.end)));
        continue;
      }
      const bytes = Buffer.from(input.subarray(frame.start, frame.end));
      if (frame.windowDescriptorAt !== undefined) {
        bytes[frame.windowDescriptorAt - frame.start] = windowDescriptorFor(narrowedWindow(frame));
      }
      new ZstdStream(keep).push(bytes, true);
    }
  } catch (error) {
    if (error instanceof BatchDecompressionError) throw error;
    throw corrupt('zstd', (error as Error).message);
  }
  if (limit !== undefined) limit.workCharge = workCharge;
  return Buffer.concat(chunks, total);
}

function narrowedWindow(frame: ZstdFrame): number {
  return Math.max(ZSTD_MIN_WINDOW, Math.min(frame.window, frame.outputBound));
}

/** What streaming one frame is charged on top of its output: the window shifts after each block. */
function shiftingCharge(frame: ZstdFrame): number {
  return Math.ceil((frame.blocks * narrowedWindow(frame)) / ZSTD_WINDOW_BYTES_PER_CHARGED_BYTE);
}

/** The smallest Window_Descriptor whose window (2^(10+e) · (1 + m/8)) holds `bytes`. */
function windowDescriptorFor(bytes: number): number {
  for (let descriptor = 0; descriptor < 256; descriptor++) {
    const base = 2 ** (10 + (descriptor >> 3));
    if (base + (base / 8) * (descriptor & 0x07) >= bytes) return descriptor;
  }
  return 255;
}

/** Walks every frame's header and block headers (no decoding) and refuses oversized declarations. */
function readZstdFrames(input: Buffer, cap: DecodeCap): ZstdFrame[] {
  const maxWindow = Math.max(cap.maxBytes, ZSTD_MAX_WINDOW_FLOOR);
  const frames: ZstdFrame[] = [];
  let position = 0;
  while (position < input.length) {
    if (position + 8 > input.length) throw corrupt('zstd', 'truncated frame');
    const magic = input.readUInt32LE(position);
    if ((magic & ZSTD_SKIPPABLE_MAGIC_MASK) >>> 0 === ZSTD_SKIPPABLE_MAGIC) {
      position += 8 + input.readUInt32LE(position + 4);
      continue;
    }
    if (magic !== ZSTD_FRAME_MAGIC) throw corrupt('zstd', 'not a zstd frame');
    const start = position;
    const descriptor = input[position + 4];
    const sizeFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const hasChecksum = (descriptor & 0x04) !== 0;
    const dictionaryIdBytes = [0, 1, 2, 4][descriptor & 0x03];
    let cursor = position + 5;
    let window = 0;
    let windowDescriptorAt: number | undefined;
    if (!singleSegment) {
      windowDescriptorAt = cursor;
      const windowDescriptor = input[cursor++];
      const base = 2 ** (10 + (windowDescriptor >> 3));
      window = base + (base / 8) * (windowDescriptor & 0x07);
    }
    cursor += dictionaryIdBytes;
    const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][sizeFlag];
    if (cursor + sizeBytes > input.length) throw corrupt('zstd', 'truncated frame header');
    let contentSize: number | undefined;
    if (sizeBytes > 0) {
      const declared =
        sizeBytes === 8
          ? input.readBigUInt64LE(cursor)
          : BigInt(input.readUIntLE(cursor, sizeBytes) + (sizeBytes === 2 ? 256 : 0));
      if (declared > BigInt(cap.maxBytes)) throw capExceeded('zstd', cap);
      contentSize = Number(declared);
      if (singleSegment) window = contentSize;
    }
    if (window > maxWindow) throw corrupt('zstd', `window of ${window} bytes is above ${maxWindow}`);
    cursor += sizeBytes;
    const blockMax = Math.min(window, ZSTD_BLOCK_MAX_BYTES);
    let blocks = 0;
    let outputBound = 0;
    for (let last = false; !last;) {
      if (cursor + 3 > input.length) throw corrupt('zstd', 'truncated block header');
      const header = input.readUIntLE(cursor, 3);
      last = (header & 1) === 1;
      const type = (header >> 1) & 0x03;
      const size = header >>> 3;
      if (type === 3) throw corrupt('zstd', 'reserved block type');
      if (size > blockMax) throw corrupt('zstd', `block of ${size} bytes is above the block maximum`);
      blocks += 1;
      outputBound += type === 2 ? blockMax : size;
      cursor += 3 + (type === 1 ? 1 : size); // an RLE block stores one byte
    }
    if (cursor > input.length) throw corrupt('zstd', 'block runs past the batch');
    position = cursor + (hasChecksum ? 4 : 0);
    // A declared size its blocks cannot produce is a lie: it would only make us allocate.
    if (contentSize !== undefined && contentSize > outputBound) {
      throw corrupt('zstd', `declares ${contentSize} bytes but its blocks hold at most ${outputBound}`);
    }
    // A declared size of 0 is decoded like an undeclared one (fzstd allocates the window then).
    const declared = contentSize !== undefined && contentSize > 0 ? contentSize : undefined;
    frames.push({
      start,
      end: position,
      window,
      contentSize: declared,
      blocks,
      outputBound,
      windowDescriptorAt,
    });
  }
  return frames;
}
