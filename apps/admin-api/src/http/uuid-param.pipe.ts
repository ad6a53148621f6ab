import { Injectable, PipeTransform, ArgumentMetadata } from '@nestjs/common';
import { RequestValidationError } from './request-validation.error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths are UUIDs; anything else is a 400 naming the parameter, never a database error. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!UUID.test(value))
      throw new RequestValidationError([
        { field: metadata.data ?? 'id', code: 'NOT_A_UUID', message: 'must be a UUID' },
      ]);
    return value.toLowerCase();
  }
}
