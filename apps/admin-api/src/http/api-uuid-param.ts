import { ApiParam } from '@nestjs/swagger';

/** Documents the `:id` path segment that UuidParamPipe checks (anything else is 400). */
export const ApiUuidParam = (what: string): MethodDecorator =>
  ApiParam({ name: 'id', schema: { type: 'string', format: 'uuid' }, description: `The ${what}'s id` });
