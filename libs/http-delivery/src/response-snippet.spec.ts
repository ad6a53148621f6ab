import {
  BINARY_SNIPPET_MARKER,
  BINARY_SNIPPET_SOURCE_BYTES,
  RESPONSE_SNIPPET_BYTES,
  responseSnippet,
  storableText,
} from './response-snippet';

/** What Postgres text refuses (SQLSTATE 22021), and what a stored snippet must never contain. */
const NUL = '\u0000';

function base64Of(snippet: string): Buffer {
  expect(snippet.startsWith(BINARY_SNIPPET_MARKER)).toBe(true);
  return Buffer.from(snippet.slice(BINARY_SNIPPET_MARKER.length), 'base64');
}

describe('responseSnippet', () => {
  it('keeps a UTF-8 text answer as it is, tabs and line breaks included', () => {
    expect(responseSnippet(Buffer.from('{"ok":true}\r\n\tdé'))).toBe('{"ok":true}\r\n\tdé');
    expect(responseSnippet(Buffer.alloc(0))).toBe('');
  });

  it('stores an answer with a NUL byte as base64 behind the marker, never the NUL', () => {
    const answer = Buffer.from(`ok${NUL}ok`);
    const snippet = responseSnippet(answer);
    expect(snippet).not.toContain(NUL);
    expect(base64Of(snippet).equals(answer)).toBe(true);
  });

  it('stores invalid UTF-8 and a UTF-16 body as base64', () => {
    const invalid = Buffer.from([0x61, 0xff, 0xfe, 0x62]);
    expect(base64Of(responseSnippet(invalid)).equals(invalid)).toBe(true);
    const utf16 = Buffer.from('\ufeffok', 'utf16le');
    expect(base64Of(responseSnippet(utf16)).equals(utf16)).toBe(true);
  });

  it('bounds a binary answer to RESPONSE_SNIPPET_BYTES, with its first bytes', () => {
    const binary = Buffer.alloc(100_000, 0x01);
    const snippet = responseSnippet(binary);
    expect(Buffer.byteLength(snippet)).toBeLessThanOrEqual(RESPONSE_SNIPPET_BYTES);
    expect(base64Of(snippet).equals(binary.subarray(0, BINARY_SNIPPET_SOURCE_BYTES))).toBe(true);
  });

  it('cuts a long text at a character boundary, within the byte bound', () => {
    // 1023 ASCII bytes, then a 3-byte character that the 1024-byte bound cuts in its middle.
    const answer = Buffer.from(`${'a'.repeat(RESPONSE_SNIPPET_BYTES - 1)}€ and more`);
    const snippet = responseSnippet(answer.subarray(0, RESPONSE_SNIPPET_BYTES), true);
    expect(snippet).toBe('a'.repeat(RESPONSE_SNIPPET_BYTES - 1));
    expect(responseSnippet(answer)).toBe('a'.repeat(RESPONSE_SNIPPET_BYTES - 1));
  });

  it('takes a character cut at the very end of a complete answer for what it is: not UTF-8', () => {
    const answer = Buffer.from('ab€').subarray(0, 3);
    expect(base64Of(responseSnippet(answer)).equals(answer)).toBe(true);
  });

  it('never lets a text answer pass for a base64 one', () => {
    const answer = Buffer.from(`${BINARY_SNIPPET_MARKER}aGk=`);
    expect(base64Of(responseSnippet(answer)).equals(answer)).toBe(true);
  });
});

describe('storableText', () => {
  it('escapes control characters, replaces lone surrogates and bounds the length', () => {
    expect(storableText(`bad${NUL}header\u001b[0m`)).toBe('bad\\u0000header\\u001b[0m');
    expect(storableText('half \ud800 pair')).toBe('half \ufffd pair');
    expect(storableText('x'.repeat(5000), 100)).toHaveLength(100);
    expect(storableText('plain text')).toBe('plain text');
  });
});
