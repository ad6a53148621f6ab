/** The body could not be read as JSON (malformed, too large, wrong encoding): a 4xx, never a 500. */
export class RequestBodyError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RequestBodyError';
  }

  /** Turns body-parser's errors (they carry `type` and `status`) into ours. */
  static fromParserError(error: unknown): RequestBodyError | null {
    if (typeof error !== 'object' || error === null || !('type' in error)) return null;
    const { type, status } = error as { type?: unknown; status?: unknown };
    switch (type) {
      case 'entity.parse.failed':
        return new RequestBodyError(400, 'MALFORMED_JSON', 'The request body is not valid JSON');
      case 'entity.too.large':
        return new RequestBodyError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
      case 'entity.invalid.utf8':
        return new RequestBodyError(400, 'INVALID_UTF8', 'The request body is not valid UTF-8');
      case 'encoding.unsupported':
        return new RequestBodyError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'The request body must not be compressed (Content-Encoding is not supported)',
        );
      case 'charset.unsupported':
        return new RequestBodyError(415, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be UTF-8 JSON');
      default:
        return typeof status === 'number' && status >= 400 && status < 500
          ? new RequestBodyError(status, 'BAD_REQUEST', 'The request body could not be read')
          : null;
    }
  }
}
