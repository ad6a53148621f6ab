import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import type { ApiErrorDetail } from './api-error';
import { RequestValidationError } from './request-validation.error';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;
/** A UTF-16 surrogate without its pair: not text, and Postgres would store it as U+FFFD (silently changed). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * class-validator with whitelist + forbidNonWhitelisted, plus what it does not check by itself: a body
 * must be a JSON object (not an array, string or null), keys that could reach an object's prototype
 * are refused before class-transformer copies them anywhere, and strings must be well-formed Unicode.
 */
@Injectable()
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      // The target lets a detail name its constraint's parameters; neither target nor value is answered.
      validationError: { target: true, value: false },
      exceptionFactory: (errors) => RequestValidationError.fromValidationErrors(errors),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      // No body at all (no JSON content type): an empty object, so required fields are named one by one.
      const body = value === undefined ? {} : value;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new RequestValidationError([
          { field: '(body)', code: 'NOT_AN_OBJECT', message: 'must be a JSON object' },
        ]);
      }
      const hostile = findForbiddenKey(body, '', 0);
      if (hostile) throw new RequestValidationError([hostile]);
      return super.transform(body, metadata);
    }
    if (metadata.type === 'query' && value !== null && typeof value === 'object') {
      const hostile = findForbiddenKey(value, '', 0);
      if (hostile) throw new RequestValidationError([hostile]);
    }
    return super.transform(value, metadata);
  }
}

function findForbiddenKey(value: unknown, path: string, depth: number): ApiErrorDetail | null {
  if (typeof value === 'string') {
    return LONE_SURROGATE.test(value)
      ? {
          field: path || '(body)',
          code: 'MALFORMED_UNICODE',
          message: 'must be well-formed Unicode (no lone surrogates)',
        }
      : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (depth > MAX_DEPTH)
    return {
      field: path || '(body)',
      code: 'NESTED_TOO_DEEPLY',
      message: 'is nested too deeply',
      params: { max: MAX_DEPTH },
    };
  for (const key of Object.keys(value)) {
    const field = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key))
      return { field, code: 'FORBIDDEN_PROPERTY_NAME', message: 'is not an allowed property name' };
    const nested = findForbiddenKey((value as Record<string, unknown>)[key], field, depth + 1);
    if (nested) return nested;
  }
  return null;
}
