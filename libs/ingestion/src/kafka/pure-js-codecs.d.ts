// Declarations for the two pure-JS decoders that ship without types (fzstd ships its own).
// Only what compression-codecs.ts and its tests use is declared.

declare module 'snappyjs' {
  /** Decodes one raw snappy block; throws when its declared length is above maxLength. */
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
  /** Encodes one raw snappy block (the tests use it; we never produce snappy). */
  export function compress(uncompressed: Buffer): Buffer;
}

declare module 'lz4js' {
  /**
   * Decodes the LZ4 block src[sIndex, sIndex + sLength) into dst from dIndex and returns the index
   * after the last byte written. It does no bounds checks: bytes past dst's end are dropped, so a
   * returned index beyond dst.length means the block did not fit.
   */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
}
