import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as snappyCompress } from 'snappyjs';
import {
  BatchDecompressionError,
  BLOCK_CHARGE_BYTES,
  compressionCodecs,
  DEFAULT_MAX_DECOMPRESSED_BATCH_BYTES,
  registerCompressionCodecs,
  type BatchCodec,
  type DecompressLimit,
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

  describe('bounded work, whatever the frame declares', () => {
    const MiB = 1024 * 1024;

    /** A zstd frame without content size, window descriptor `window`, one raw block per byte of `data`. */
    function zstdOneByteBlocks(data: Buffer, windowDescriptor: number): Buffer {
      const blocks = [...data].map((byte, index) =>
        Buffer.from([(1 << 3) | (index === data.length - 1 ? 1 : 0), 0, 0, byte]),
      );
      return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor]), ...blocks]);
    }
    const WINDOW_64_MIB = 16 << 3;

    /** Bytes moved by Uint8Array#copyWithin while `run` runs: fzstd shifts its window with it. */
    async function bytesShifted(run: () => Promise<unknown>): Promise<number> {
      const copyWithin = jest.spyOn(Uint8Array.prototype, 'copyWithin');
      try {
        await run();
        return copyWithin.mock.calls.reduce(
          (sum, [, start, end], index) =>
            sum +
            Math.max(
              0,
              Math.min(end ?? Infinity, (copyWithin.mock.contexts[index] as Uint8Array).length) - start,
            ),
          0,
        );
      } finally {
        copyWithin.mockRestore();
      }
    }

    it('zstd: 200 one-byte blocks under a declared 64 MiB window shift kilobytes, not 12.8 GiB', async () => {
      const data = recordsSection('none').subarray(0, 200);
      const frame = zstdOneByteBlocks(data, WINDOW_64_MIB);
      const zstd = compressionCodecs(64 * MiB).zstd;
      let decoded: Buffer = Buffer.alloc(0);
      const shifted = await bytesShifted(async () => {
        decoded = await zstd.decompress(frame);
      });
      expect(decoded.equals(data)).toBe(true);
      // Its window is narrowed to what the frame can output (1 KiB minimum): 200 shifts of ≤ 1 KiB.
      expect(shifted).toBeLessThanOrEqual(200 * 1024);
    });

    it('zstd: 262,144 one-byte blocks under a 64 MiB window (16 TiB of shifting for fzstd) are past the cap before any decoding', async () => {
      const frame = zstdOneByteBlocks(Buffer.alloc(262_144, 0x61), WINDOW_64_MIB);
      const shifted = await bytesShifted(async () => {
        await expect(compressionCodecs(64 * MiB).zstd.decompress(frame)).rejects.toThrow(
          new BatchDecompressionError(`zstd batch decompresses to more than the ${64 * MiB}-byte cap`),
        );
      });
      expect(shifted).toBe(0);
    });

    it('zstd: what decoding costs beyond its output is reported, so the fetch is charged for it', async () => {
      const limit: DecompressLimit = { maxBytes: 64 * MiB };
      const frame = zstdOneByteBlocks(recordsSection('none').subarray(0, 100), WINDOW_64_MIB);
      await compressionCodecs(64 * MiB).zstd.decompress(frame, limit);
      // 100 blocks of 4 KiB, and 100 shifts of the 1 KiB window at 1/64.
      expect(limit.workCharge).toBe(100 * BLOCK_CHARGE_BYTES + Math.ceil((100 * 1024) / 64));
    });

    it('lz4: a block whose match would run ~255× its size stops before copying it', async () => {
      // One literal, then a match whose length is 1 MiB of 0xff continuation bytes (~255 MiB).
      const block = Buffer.concat([
        Buffer.from([0x1f, 0x61, 0x01, 0x00]),
        Buffer.alloc(MiB - 8, 0xff),
        Buffer.from([0x00]),
      ]);
      const size = Buffer.alloc(4);
      size.writeUInt32LE(block.length);
      // FLG: version 1, independent blocks; BD: 4 MiB blocks; header checksum; block; end mark.
      const frame = Buffer.concat([
        Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73]),
        size,
        block,
        Buffer.alloc(4),
      ]);
      await expect(compressionCodecs(64 * MiB).lz4.decompress(frame)).rejects.toThrow(
        'lz4 batch is corrupt: block larger than its maximum',
      );
      await expect(compressionCodecs(MiB).lz4.decompress(frame)).rejects.toThrow(
        `lz4 batch decompresses to more than the ${MiB}-byte cap`,
      );
    });

    it('lz4: a few bytes in a frame of 4 MiB blocks do not keep a block-sized buffer alive', async () => {
      // BD 4 MiB, one compressed block holding 5 literals.
      const frame = Buffer.from([
        0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73, 6, 0, 0, 0, 0x50, 104, 101, 108, 108, 111, 0, 0, 0, 0,
      ]);
      const decoded = await compressionCodecs(64 * MiB).lz4.decompress(frame);
      expect(decoded.toString()).toBe('hello');
      expect(decoded.buffer.byteLength).toBeLessThanOrEqual(64 * 1024);
    });

    it('snappy: 100,000 empty chunks are past the cap (each chunk costs work whatever it holds)', async () => {
      const emptyChunk = Buffer.concat([Buffer.from([0, 0, 0, 1]), Buffer.from([0])]); // length 1: a raw block of 0 bytes
      const framed = Buffer.concat([
        Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]),
        ...Array.from({ length: 100_000 }, () => emptyChunk),
      ]);
      await expect(codecs.snappy.decompress(framed)).rejects.toThrow(
        'snappy batch decompresses to more than',
      );
    });

    it.each(CODECS)(
      '%s: past what the fetch has left (below the batch cap) says so, for the patch to retry it in a later fetch',
      async (name) => {
        const limit: DecompressLimit = { maxBytes: 100_000 };
        const error = await codecs[name]
          .decompress(recordsSection(`${name}-bomb`), limit)
          .catch((e: unknown) => e);
        expect(error).toEqual(
          new BatchDecompressionError(
            `${name} batch decompresses to more than the 100000 bytes its fetch has left`,
          ),
        );
        expect((error as BatchDecompressionError).fetchBudgetExceeded).toBe(true);
        const ownCap = await codecs[name]
          .decompress(recordsSection(`${name}-bomb`), { maxBytes: 10 * CAP })
          .catch((e: unknown) => e);
        expect((ownCap as BatchDecompressionError).fetchBudgetExceeded).toBe(false);
      },
    );
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
