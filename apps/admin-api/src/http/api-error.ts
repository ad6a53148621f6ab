import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DETAIL_CODES, TARGET_URL_REFUSALS, type DetailParams } from './validation-detail-codes';

export class ApiErrorDetail {
  @ApiProperty({ example: 'authentication.password' })
  field: string;

  @ApiProperty({
    enum: DETAIL_CODES,
    enumName: 'ApiErrorDetailCode',
    example: 'FIELD_TOO_LONG',
    description:
      'Stable, machine-readable: which rule the field broke (VALIDATION_FAILED), to be said in the ' +
      "client's language with `params`. TARGET_URL_NOT_ALLOWED (on VALIDATION_FAILED or TARGET_NOT_ALLOWED) " +
      `names its rule in \`params.reason\`: ${TARGET_URL_REFUSALS.join(', ')}. ` +
      'INVALID_VALUE: a rule without a finer code, `message` is the only text. On ' +
      "other errors, the error's own code (WEBHOOK_NAME_TAKEN on `name`).",
  })
  code: string;

  @ApiProperty({ example: 'must be shorter than or equal to 100 characters', description: 'In English' })
  message: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'array', items: { type: 'string' } }],
    },
    example: { max: 100 },
    description: "The rule's parameters, named (max, min, values, reason, host, origin)",
  })
  params?: DetailParams;
}

/** Every error answer of the admin API has this shape. */
export class ApiErrorBody {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'VALIDATION_FAILED', description: 'Stable, machine-readable error code' })
  code: string;

  @ApiProperty({ example: 'name must be shorter than or equal to 100 characters' })
  message: string;

  @ApiPropertyOptional({ type: [ApiErrorDetail] })
  details?: ApiErrorDetail[];

  @ApiPropertyOptional({ description: 'For 500 only: quote it to the operators, it is in their logs' })
  errorId?: string;
}
