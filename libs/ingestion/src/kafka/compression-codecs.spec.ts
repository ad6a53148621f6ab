import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import {
  BatchDecompressionError,
  compressionCodecs,
  DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES,
  registerCompressionCodecs,
  type BatchCodec,
} from './compression-codecs';

// Record batches written by kafka-clients 4.4.0 itself (test/support/java/KafkaBatchFixtures.java).
// A v2 batch header is 61 bytes; what follows is the (compressed) records section.
const BATCH_HEADER_BYTES = 61;
const fixture = (name: string) => readFileSync(path.join(__dirname, 'fixtures', `${name}.batch`));
const recordsSection = (name: string) => fixture(name).subarray(BATCH_HEADER_BYTES);

const CAP = 512 * 1024; // the bombs decompress to 600 KiB
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;

describe('compression codecs for what the Java client writes', () => {
  const codecs = compressionCodecs(CAP);

  it.each(CODECS)(
    '%s: decodes a batch the Java client compressed to exactly the uncompressed records',
    async (name) => {
      const decoded = await codecs[name].decompress(recordsSection(name));
      expect(Buffer.isBuffer(decoded)).toBe(true);
      expect(decoded.equals(recordsSection('none'))).toBe(true);
    },
  );

  it.each(CODECS)('%s: a batch decompressing past the cap fails with the cap in the reason', async (name) => {
    await expect(codecs[name].decompress(recordsSection(`${name}-bomb`))).rejects.toThrow(
      new BatchDecompressionError(`${name} batch decompresses to more than the ${CAP}-byte cap`),
    );
    // The same bytes under a cap they fit in decode to the 600 KiB record.
    const roomy = compressionCodecs(1024 * 1024)[name];
    expect((await roomy.decompress(recordsSection(`${name}-bomb`))).length).toBeGreaterThan(600 * 1024);
  });

  it.each(CODECS)('%s: corrupt bytes fail as BatchDecompressionError, never anything else', async (name) => {
    const damaged = Buffer.from(recordsSection(name));
    damaged.fill(0xa5, 4, 40);
    await expect(codecs[name].decompress(damaged)).rejects.toBeInstanceOf(BatchDecompressionError);
    await expect(codecs[name].decompress(damaged.subarray(0, damaged.length >> 1))).rejects.toBeInstanceOf(
      BatchDecompressionError,
    );
  });

  it('snappy: also reads a raw (unframed) snappy block, capped by its declared length', async () => {
    const raw = snappyCompress(recordsSection('none'));
    expect((await codecs.snappy.decompress(raw)).equals(recordsSection('none'))).toBe(true);
    const big = snappyCompress(Buffer.alloc(CAP + 1));
    await expect(codecs.snappy.decompress(big)).rejects.toThrow('more than the 524288-byte cap');
  });

  it('gzip: stops inflating at the cap (an 8 MiB bomb in 8 KiB fails at 512 KiB)', async () => {
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    await expect(codecs.gzip.decompress(bomb)).rejects.toThrow('gzip batch decompresses to more than');
  });

  it('zstd: a frame declaring a content size or window above the cap is refused before decoding', async () => {
    // Magic, descriptor: single segment + 4-byte content size of 1 GiB, then an empty last raw block.
    const declaredHuge = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0, 0x40, 0x01, 0, 0]);
    await expect(codecs.zstd.decompress(declaredHuge)).rejects.toThrow('more than the 524288-byte cap');
    // Window descriptor 0xf8: 2^41 bytes.
    const hugeWindow = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0, 0]);
    await expect(codecs.zstd.decompress(hugeWindow)).rejects.toThrow(/window of \d+ bytes is above/);
  });

  it('lz4: a frame declaring a content size above the cap is refused before decoding', async () => {
    const frame = Buffer.from(recordsSection('lz4'));
    // FLG with the content-size bit, then an 8-byte size of 1 GiB inserted after BD.
    const withSize = Buffer.concat([
      frame.subarray(0, 4),
      Buffer.from([frame[4] | 0x08, frame[5]]),
      Buffer.from([0, 0, 0, 0x40, 0, 0, 0, 0]),
      frame.subarray(6),
    ]);
    await expect(codecs.lz4.decompress(withSize)).rejects.toThrow('more than the 524288-byte cap');
  });

  it('producing with snappy, lz4 or zstd says it is not supported; gzip still compresses', async () => {
    const encoder = { buffer: Buffer.from('hello') };
    for (const name of ['snappy', 'lz4', 'zstd'] as const) {
      await expect(codecs[name].compress(encoder)).rejects.toThrow(`${name} compression is not supported`);
    }
    const gzipped = await codecs.gzip.compress(encoder);
    expect((await codecs.gzip.decompress(gzipped)).toString()).toBe('hello');
  });

  describe('registerCompressionCodecs', () => {
    afterAll(() => registerCompressionCodecs(DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES));

    it("puts capped decoders into kafkajs's registry for gzip, snappy, lz4 and zstd", async () => {
      registerCompressionCodecs(CAP);
      const registry = CompressionCodecs as Record<number, () => BatchCodec>;
      for (const [type, name] of [
        [CompressionTypes.GZIP, 'gzip'],
        [CompressionTypes.Snappy, 'snappy'],
        [CompressionTypes.LZ4, 'lz4'],
        [CompressionTypes.ZSTD, 'zstd'],
      ] as const) {
        const codec = registry[type]();
        expect((await codec.decompress(recordsSection(name))).equals(recordsSection('none'))).toBe(true);
        await expect(codec.decompress(recordsSection(`${name}-bomb`))).rejects.toThrow('524288-byte cap');
      }
    });

    it('refuses a cap that is not a positive integer', () => {
      expect(() => registerCompressionCodecs(0)).toThrow(RangeError);
      expect(() => registerCompressionCodecs(1.5)).toThrow(RangeError);
    });
  });
});
