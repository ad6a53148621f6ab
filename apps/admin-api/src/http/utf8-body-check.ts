import { isUtf8 } from 'node:buffer';

/**
 * body-parser's `verify` hook for JSON bodies: it runs on the raw bytes before they are decoded. The
 * decoder would turn invalid UTF-8 into U+FFFD (the stored text silently differs from what was sent),
 * and body-parser itself accepts any `utf-*` charset although JSON is UTF-8 (RFC 8259 §8.1). The
 * thrown error's `type` is what RequestBodyError maps to 415 or 400.
 */
export function assertUtf8JsonBody(
  _request: unknown,
  _response: unknown,
  body: Buffer,
  charset: string,
): void {
  if (charset !== 'utf-8') {
    throw Object.assign(new Error(`unsupported charset "${charset}"`), { type: 'charset.unsupported' });
  }
  if (!isUtf8(body)) throw Object.assign(new Error('invalid UTF-8'), { type: 'entity.invalid.utf8' });
}
