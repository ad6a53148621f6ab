/** Bytes of a listener's answer the delivery log keeps: the stored snippet never exceeds this many bytes. */
export const RESPONSE_SNIPPET_BYTES = 1024;

/**
 * Starts a snippet that is not the listener's text but base64 of its first bytes. A text answer that
 * itself starts with the marker is stored as base64 too, so the marker never lies.
 */
export const BINARY_SNIPPET_MARKER = '[binary response, base64] ';

/** Raw bytes shown in a base64 snippet: as many as fit, with the marker, in RESPONSE_SNIPPET_BYTES. */
export const BINARY_SNIPPET_SOURCE_BYTES =
  Math.floor((RESPONSE_SNIPPET_BYTES - BINARY_SNIPPET_MARKER.length) / 4) * 3;

// NUL is refused by Postgres text (SQLSTATE 22021) and the other C0 controls and DEL are what a
// binary or UTF-16 body is made of; tab, LF and CR are ordinary in text answers.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const CONTROL_CHARACTERS_GLOBAL = new RegExp(CONTROL_CHARACTERS.source, 'g');
const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * What the delivery log stores of a listener's answer, whatever bytes it sent: at most
 * RESPONSE_SNIPPET_BYTES bytes of text Postgres always accepts. Valid UTF-8 without control characters
 * stays text (cut at a character boundary when the answer was longer); anything else (NUL, invalid
 * UTF-8, binary, UTF-16) becomes BINARY_SNIPPET_MARKER + base64 of its first bytes.
 *
 * `truncated`: the answer went on past `bytes` (a multi-byte character cut at the end is then dropped,
 * not taken for invalid UTF-8).
 */
export function responseSnippet(bytes: Buffer, truncated = false): string {
  const cut = truncated || bytes.length > RESPONSE_SNIPPET_BYTES;
  const head = bytes.subarray(0, RESPONSE_SNIPPET_BYTES);
  const text = decodeUtf8(head, cut);
  if (text !== null && !CONTROL_CHARACTERS.test(text) && !text.startsWith(BINARY_SNIPPET_MARKER)) {
    return text;
  }
  return BINARY_SNIPPET_MARKER + head.subarray(0, BINARY_SNIPPET_SOURCE_BYTES).toString('base64');
}

/**
 * Text derived from a listener that is stored (an error message quoting a header, a TLS peer's name):
 * control characters escaped as `\u00XX`, lone surrogates replaced, at most `maxChars` characters.
 */
export function storableText(text: string, maxChars = RESPONSE_SNIPPET_BYTES): string {
  const escaped = text
    .replace(LONE_SURROGATES, '\uFFFD')
    .replace(CONTROL_CHARACTERS_GLOBAL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length <= maxChars ? escaped : `${escaped.slice(0, maxChars - 1)}…`;
}

/** null when `bytes` are not UTF-8; with `cut`, an incomplete last character is dropped. */
function decodeUtf8(bytes: Buffer, cut: boolean): string | null {
  try {
    // stream: an incomplete sequence at the end stays in the decoder instead of being an error.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes, { stream: cut });
  } catch {
    return null;
  }
}
