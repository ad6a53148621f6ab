// U+0000, or a UTF-16 surrogate that is not half of a pair: neither has a UTF-8 form Postgres accepts
// (NUL is refused outright, a lone surrogate would be silently replaced by U+FFFD on the way out).
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored as Postgres text exactly as received, or undefined when it can. */
export function unstorableTextProblem(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (match === null) return undefined;
  const at = `at character ${match.index}`;
  return match[0] === '\u0000'
    ? `contains a NUL character (U+0000) ${at}, which cannot be stored`
    : `contains a lone UTF-16 surrogate (U+${match[0].charCodeAt(0).toString(16).toUpperCase()}) ${at}, which is not valid Unicode text`;
}
