import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt } from 'class-validator';
import { ReplayCommand, type AdminActor } from '@lms/webhook-domain/admin';
import { coded } from '../../http/validation-detail-codes';
import { INSTANT_MESSAGE, INSTANT_SCHEMA, toInstant } from './instant';

export class ReplayDto {
  @ApiProperty({
    ...INSTANT_SCHEMA,
    example: '2026-11-27T00:00:00Z',
    description: 'Event time, inclusive (ISO-8601 or epoch ms)',
  })
  @Transform(toInstant)
  @IsInt(coded('NOT_AN_INSTANT', { message: INSTANT_MESSAGE }))
  from: number;

  @ApiProperty({
    ...INSTANT_SCHEMA,
    example: 1764288000000,
    description: 'Event time, inclusive (ISO-8601 or epoch ms)',
  })
  @Transform(toInstant)
  @IsInt(coded('NOT_AN_INSTANT', { message: INSTANT_MESSAGE }))
  to: number;

  toCommand(actor: AdminActor, webhookId: string): ReplayCommand {
    return ReplayCommand.create({ actor, webhookId, fromMs: this.from, toMs: this.to });
  }
}
