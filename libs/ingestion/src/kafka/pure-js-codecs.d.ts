// Declarations for the pure-JS decoder that ships without types (fzstd ships its own).
// Only what compression-codecs.ts and its tests use is declared.

declare module 'snappyjs' {
  /** Decodes one raw snappy block; throws when its declared length is above maxLength. */
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
  /** Encodes one raw snappy block (the tests use it; we never produce snappy). */
  export function compress(uncompressed: Buffer): Buffer;
}
