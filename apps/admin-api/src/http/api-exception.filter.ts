import { randomUUID } from 'node:crypto';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, DomainErrorCode } from '@lms/webhook-domain';
import { RateLimitExceededError } from '../rate-limits/rate-limit-exceeded.error';
import type { ApiErrorBody, ApiErrorDetail } from './api-error';
import { RequestBodyError } from './request-body.error';
import { RequestValidationError } from './request-validation.error';
import { INVALID_VALUE } from './validation-detail-codes';

const STATUS_BY_DOMAIN_CODE: Record<DomainErrorCode, number> = {
  [DomainErrorCode.VALIDATION_FAILED]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.WEBHOOK_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.WEBHOOK_NAME_TAKEN]: HttpStatus.CONFLICT,
  [DomainErrorCode.WEBHOOK_LIMIT_REACHED]: HttpStatus.CONFLICT,
  [DomainErrorCode.TARGET_NOT_ALLOWED]: HttpStatus.UNPROCESSABLE_ENTITY,
  [DomainErrorCode.REPLAY_RANGE_TOO_LARGE]: HttpStatus.UNPROCESSABLE_ENTITY,
  [DomainErrorCode.UNKNOWN_EVENT_TYPE]: HttpStatus.UNPROCESSABLE_ENTITY,
  [DomainErrorCode.NOT_A_SIGNATURE_WEBHOOK]: HttpStatus.CONFLICT,
  [DomainErrorCode.DELIVERY_NOT_FOUND]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.DELIVERY_NOT_REDELIVERABLE]: HttpStatus.CONFLICT,
  [DomainErrorCode.EVENT_NOT_SUBSCRIBED]: HttpStatus.UNPROCESSABLE_ENTITY,
  [DomainErrorCode.PENDING_EVENTS_LIMIT_REACHED]: HttpStatus.CONFLICT,
  [DomainErrorCode.REPLAY_ALREADY_QUEUED]: HttpStatus.CONFLICT,
};

const CODE_BY_HTTP_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * The one place errors become HTTP answers: `{statusCode, code, message, details?}`. Domain codes map
 * to statuses here (the domain knows nothing of HTTP); anything unexpected is a 500 with an error id
 * that is also in the log, and its message is not shown (it may hold internals).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('AdminApi');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const body = this.toBody(exception);
    if (response.headersSent) return;
    if (exception instanceof RateLimitExceededError) {
      response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): ApiErrorBody {
    if (exception instanceof DomainError) {
      return withDetails(
        {
          statusCode: STATUS_BY_DOMAIN_CODE[exception.code] ?? 400,
          code: exception.code,
          message: exception.message,
        },
        exception.details.map((detail) => ({
          ...detail,
          // The rule's own code when the domain names one; else a refusal's detail repeats its error's
          // code, and a validation detail without one is INVALID_VALUE (its message is the only text).
          code:
            detail.code ??
            (exception.code === DomainErrorCode.VALIDATION_FAILED ? INVALID_VALUE : exception.code),
        })),
      );
    }
    if (exception instanceof RateLimitExceededError) {
      return { statusCode: HttpStatus.TOO_MANY_REQUESTS, code: exception.code, message: exception.message };
    }
    if (exception instanceof RequestValidationError) {
      return withDetails(
        { statusCode: 400, code: DomainErrorCode.VALIDATION_FAILED, message: exception.message },
        exception.details,
      );
    }
    const bodyError =
      exception instanceof RequestBodyError ? exception : RequestBodyError.fromParserError(exception);
    if (bodyError)
      return { statusCode: bodyError.statusCode, code: bodyError.code, message: bodyError.message };
    if (exception instanceof HttpException && exception.getStatus() < 500) {
      const statusCode = exception.getStatus();
      return {
        statusCode,
        code: CODE_BY_HTTP_STATUS[statusCode] ?? `HTTP_${statusCode}`,
        message: httpMessage(exception),
      };
    }
    const errorId = randomUUID();
    this.logger.error(
      `unhandled error ${errorId}: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
    );
    return {
      statusCode: 500,
      code: 'INTERNAL_ERROR',
      message: `Internal error; reference ${errorId}`,
      errorId,
    };
  }
}

function withDetails(body: ApiErrorBody, details: readonly ApiErrorDetail[]): ApiErrorBody {
  return details.length > 0 ? { ...body, details: [...details] } : body;
}

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : exception.message;
}
