import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ApiErrorDetail {
  @ApiProperty({ example: 'authentication.password' })
  field: string;

  @ApiProperty({ example: 'must be a string' })
  message: string;
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
