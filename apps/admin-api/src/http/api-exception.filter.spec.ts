import { ForbiddenException, Logger, type ArgumentsHost } from '@nestjs/common';
import { DomainError, DomainErrorCode } from '@lms/webhook-domain';
import { RateLimitExceededError } from '../rate-limits/rate-limit-exceeded.error';
import { ApiExceptionFilter } from './api-exception.filter';
import { RequestValidationError } from './request-validation.error';

function capture(exception: unknown): { status: number; body: Record<string, unknown> } {
  const sent: { status: number; body: Record<string, unknown> } = { status: 0, body: {} };
  const response = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: Record<string, unknown>) {
      sent.body = body;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  new ApiExceptionFilter().catch(exception, host);
  return sent;
}

describe('ApiExceptionFilter', () => {
  it("maps domain codes to statuses and keeps the details, coded with the error's code", () => {
    const answer = capture(
      new DomainError(DomainErrorCode.WEBHOOK_NAME_TAKEN, 'taken', [{ field: 'name', message: 'is taken' }]),
    );
    expect(answer).toEqual({
      status: 409,
      body: {
        statusCode: 409,
        code: 'WEBHOOK_NAME_TAKEN',
        message: 'taken',
        details: [{ field: 'name', code: 'WEBHOOK_NAME_TAKEN', message: 'is taken' }],
      },
    });
    expect(capture(new DomainError(DomainErrorCode.TARGET_NOT_ALLOWED, 'no')).status).toBe(422);
    expect(capture(new DomainError(DomainErrorCode.DELIVERY_NOT_FOUND, 'no')).status).toBe(404);
  });

  it('answers a rate limit with 429, the limit in words and Retry-After', () => {
    const headers: Record<string, string> = {};
    let status = 0;
    let body: unknown;
    const response = {
      headersSent: false,
      setHeader: (name: string, value: string) => (headers[name] = value),
      status(code: number) {
        status = code;
        return this;
      },
      json: (sent: unknown) => (body = sent),
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
    new ApiExceptionFilter().catch(RateLimitExceededError.requests('account', 600, 60_000, 12.2), host);
    expect({ status, headers, body }).toEqual({
      status: 429,
      headers: { 'Retry-After': '13' },
      body: {
        statusCode: 429,
        code: 'TOO_MANY_REQUESTS',
        message: 'Too many requests from this account: at most 600 per minute; retry after 13 s',
      },
    });
  });

  it('maps the backlog limits to 409 with their numbers', () => {
    const answer = capture(
      DomainError.pendingEventsLimitReached({ webhookId: 'w', pending: 9, requested: 2, cap: 10 }),
    );
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      code: 'PENDING_EVENTS_LIMIT_REACHED',
      details: [
        { field: 'pending', message: "9 events are waiting in the webhook's lanes" },
        { field: 'requested', message: '2 events would be added' },
        { field: 'cap', message: 'at most 10 events may wait per webhook' },
      ],
    });
    const repeat = DomainError.replayAlreadyQueued({
      replayId: 'r1',
      createdAt: new Date(0),
      eventCount: 3,
    });
    expect(capture(repeat)).toMatchObject({ status: 409, body: { code: 'REPLAY_ALREADY_QUEUED' } });
  });

  it('answers validation errors as 400 VALIDATION_FAILED with field details, codes and params', () => {
    const answer = capture(
      new RequestValidationError([
        { field: 'name', code: 'FIELD_TOO_LONG', message: 'is too long', params: { max: 100 } },
      ]),
    );
    expect(answer.body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'name is too long',
      details: [{ field: 'name', code: 'FIELD_TOO_LONG', message: 'is too long', params: { max: 100 } }],
    });
  });

  it("passes a domain rule's code and params through, on a 400 and on a 422 refusal", () => {
    expect(
      capture(DomainError.invalidTargetUrl('targetUrl', 'must use https', 'SCHEME_NOT_HTTP')).body,
    ).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'targetUrl must use https',
      details: [
        {
          field: 'targetUrl',
          code: 'TARGET_URL_NOT_ALLOWED',
          message: 'must use https',
          params: { reason: 'SCHEME_NOT_HTTP' },
        },
      ],
    });
    expect(
      capture(DomainError.targetNotAllowed('targetUrl', 'private', 'NON_PUBLIC_ADDRESS', { host: 'h.test' }))
        .body,
    ).toEqual({
      statusCode: 422,
      code: 'TARGET_NOT_ALLOWED',
      message: 'targetUrl is not allowed: private',
      details: [
        {
          field: 'targetUrl',
          code: 'TARGET_URL_NOT_ALLOWED',
          message: 'private',
          params: { reason: 'NON_PUBLIC_ADDRESS', host: 'h.test' },
        },
      ],
    });
  });

  it("codes a domain detail without a code INVALID_VALUE (a 400) or its error's code (other errors)", () => {
    expect(capture(DomainError.invalidField('from', 'must not be after to')).body).toEqual({
      statusCode: 400,
      code: 'VALIDATION_FAILED',
      message: 'from must not be after to',
      details: [{ field: 'from', code: 'INVALID_VALUE', message: 'must not be after to' }],
    });
    expect(capture(DomainError.webhookNameTaken('HR')).body.details).toEqual([
      { field: 'name', code: 'WEBHOOK_NAME_TAKEN', message: expect.any(String) },
    ]);
  });

  it('names Nest HTTP errors by status', () => {
    expect(capture(new ForbiddenException('no role')).body).toEqual({
      statusCode: 403,
      code: 'FORBIDDEN',
      message: 'no role',
    });
  });

  it('maps body-parser errors to 400 MALFORMED_JSON and 413 PAYLOAD_TOO_LARGE', () => {
    expect(
      capture(
        Object.assign(new SyntaxError('Unexpected token'), { type: 'entity.parse.failed', status: 400 }),
      ).body.code,
    ).toBe('MALFORMED_JSON');
    expect(
      capture(Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 })).status,
    ).toBe(413);
  });

  it('maps invalid UTF-8 to 400 INVALID_UTF8, a compressed body and a non-UTF-8 charset to 415', () => {
    const parserError = (type: string, status: number) => Object.assign(new Error(type), { type, status });
    expect(capture(parserError('entity.invalid.utf8', 403)).body).toMatchObject({
      statusCode: 400,
      code: 'INVALID_UTF8',
    });
    expect(capture(parserError('encoding.unsupported', 415)).body).toMatchObject({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('Content-Encoding'),
    });
    expect(capture(parserError('charset.unsupported', 415)).body).toMatchObject({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });

  it('hides unknown errors behind 500 INTERNAL_ERROR with an error id that is logged with the stack', () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const answer = capture(new Error('connection string postgres://secret@db'));
    expect(answer.status).toBe(500);
    expect(answer.body).toEqual({
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: expect.stringContaining(String(answer.body.errorId)),
      errorId: expect.any(String),
    });
    expect(JSON.stringify(answer.body)).not.toContain('postgres://');
    expect(logged).toHaveBeenCalledWith(
      expect.stringContaining(`unhandled error ${String(answer.body.errorId)}`),
    );
    logged.mockRestore();
  });
});
