import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { EVENT_NAMES } from '@lms/payload-schemas';
import type { DeliveryListFilter, DeliveryStatus } from '@lms/webhook-domain';
import { coded } from '../../http/validation-detail-codes';
import { INSTANT_MESSAGE, INSTANT_QUERY_SCHEMA, toInstant } from './instant';

/** Page size when the query names none. */
export const DEFAULT_PAGE_SIZE = 50;

const STATUSES: DeliveryStatus[] = ['PENDING', 'RETRYING', 'SUCCEEDED', 'DEAD', 'CANCELLED'];

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;

export class ListDeliveriesQuery {
  @ApiPropertyOptional({ enum: STATUSES })
  @IsOptional()
  @IsIn(STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({
    example: 'COURSE_ENROLLMENT',
    description: 'Deliveries carrying at least one event of this name',
  })
  @IsOptional()
  @IsIn(EVENT_NAMES)
  eventName?: string;

  @ApiPropertyOptional({
    ...INSTANT_QUERY_SCHEMA,
    example: '2026-11-01T00:00:00Z',
    description: 'Created at or after (ISO-8601 or epoch ms)',
  })
  @IsOptional()
  @Transform(toInstant)
  @IsInt(coded('NOT_AN_INSTANT', { message: INSTANT_MESSAGE }))
  from?: number;

  @ApiPropertyOptional({
    ...INSTANT_QUERY_SCHEMA,
    example: '1764547200000',
    description: 'Created at or before (ISO-8601 or epoch ms)',
  })
  @IsOptional()
  @Transform(toInstant)
  @IsInt(coded('NOT_AN_INSTANT', { message: INSTANT_MESSAGE }))
  to?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 200, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  toFilter(): DeliveryListFilter {
    return {
      status: this.status,
      eventName: this.eventName,
      from: this.from === undefined ? undefined : new Date(this.from),
      to: this.to === undefined ? undefined : new Date(this.to),
      limit: this.limit ?? DEFAULT_PAGE_SIZE,
      cursor: this.cursor,
    };
  }
}
