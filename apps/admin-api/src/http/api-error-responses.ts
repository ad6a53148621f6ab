import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ApiErrorBody } from './api-error';

/**
 * The error answers of the admin API, documented where they can happen, so the OpenAPI document lists
 * what a client must handle. Each names the `code`s it carries; the status comes from
 * ApiExceptionFilter, the one place that maps codes to statuses.
 */
function errorResponse(
  status: number,
  codes: readonly string[],
  when: string,
): MethodDecorator & ClassDecorator {
  return ApiResponse({ status, type: ApiErrorBody, description: `${codes.join(', ')}: ${when}` });
}

/** 429 always says when to come back. */
function tooManyRequests(codes: readonly string[], when: string): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status: 429,
    type: ApiErrorBody,
    description: `${codes.join(', ')}: ${when}`,
    headers: {
      'Retry-After': {
        description: 'Seconds until a retry can succeed',
        schema: { type: 'integer', minimum: 1 },
      },
    },
  });
}

/** Every authenticated route: a bad id, query or body (400), no valid token (401), no role (403). */
export const ApiAuthenticatedErrors = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    errorResponse(
      400,
      ['VALIDATION_FAILED', 'MALFORMED_JSON', 'INVALID_UTF8'],
      'a field, id, cursor or query value is missing, of the wrong type, out of range or unknown; or the body is not UTF-8 JSON',
    ),
    errorResponse(401, ['UNAUTHORIZED'], 'no token, or one that is invalid, expired or lives too long'),
    errorResponse(403, ['FORBIDDEN'], 'the token lacks the INTEGRATION_ADMIN role'),
    tooManyRequests(
      ['TOO_MANY_REQUESTS'],
      "over the account's or the client address's request limit for the current window (ADMIN_RATE_LIMIT_*)",
    ),
  );

/** The test-send routes: besides the request limits, a rate and a concurrency share of test-sends. */
export const ApiTestSendLimits = (): MethodDecorator =>
  tooManyRequests(
    ['TOO_MANY_REQUESTS', 'TOO_MANY_CONCURRENT_TEST_SENDS'],
    "over a request limit or the account's test-send limit for the current window (TEST_SEND_RATE_LIMIT_*), or the account (or the whole API) already has its most test-sends in progress (TEST_SEND_MAX_CONCURRENT*)",
  );

/** Routes that read a JSON body. */
export const ApiJsonBodyErrors = (): MethodDecorator =>
  applyDecorators(
    errorResponse(413, ['PAYLOAD_TOO_LARGE'], 'the body is over 256 KiB'),
    errorResponse(
      415,
      ['UNSUPPORTED_MEDIA_TYPE'],
      'a charset other than UTF-8, or any Content-Encoding (compressed bodies are refused)',
    ),
  );

export const ApiWebhookNotFound = (): MethodDecorator =>
  errorResponse(404, ['WEBHOOK_NOT_FOUND'], 'no such webhook in this account (or it was deleted)');

export const ApiDeliveryNotFound = (): MethodDecorator =>
  errorResponse(404, ['DELIVERY_NOT_FOUND'], 'no such delivery in this account');

export const ApiConflict = (codes: readonly string[], when: string): MethodDecorator =>
  errorResponse(409, codes, when);

export const ApiUnprocessable = (codes: readonly string[], when: string): MethodDecorator =>
  errorResponse(422, codes, when);
