import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiOkResponse,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import type { AdminPrincipal } from '@lms/auth';
import { CurrentAdmin } from '@lms/role-guards';
import {
  DeliveryLogService,
  type DeliveryDetailView,
  type DeliveryPage,
  type ReplayResult,
} from '@lms/webhook-domain';
import { ApiErrorBody } from '../http/api-error';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';
import { ReplayDto } from './dto/replay.dto';

const DEFAULT_PAGE_SIZE = 50;

class DeliveryPageResponse {
  @ApiProperty({ type: 'array', items: { type: 'object' } }) items: unknown[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

class RedeliveryResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) redeliveryOf: string;
  @ApiProperty({ example: 'PENDING' }) status: string;
}

class ReplayResponse {
  @ApiProperty({ example: 42 }) count: number;
  @ApiProperty() realtimeDeliveries: number;
  @ApiProperty() batchedEvents: number;
}

/** The delivery log: what was sent, how it went, and re-sending. Same account rules as webhooks. */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller()
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveryLogService) {}

  @Get('webhooks/:id/deliveries')
  @ApiOkResponse({
    type: DeliveryPageResponse,
    description: 'Newest first; pass nextCursor as cursor for older ones',
  })
  list(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) webhookId: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<DeliveryPage> {
    return this.deliveries.list(admin.accountId, webhookId, {
      status: query.status,
      eventName: query.eventName,
      from: query.from === undefined ? undefined : new Date(query.from),
      to: query.to === undefined ? undefined : new Date(query.to),
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      cursor: query.cursor,
    });
  }

  @Get('deliveries/:id')
  @ApiOkResponse({ description: 'The delivery, the payload sent, and its attempts' })
  get(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<DeliveryDetailView> {
    return this.deliveries.get(admin.accountId, id);
  }

  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: RedeliveryResponse })
  @ApiConflictResponse({
    type: ApiErrorBody,
    description: 'DELIVERY_NOT_REDELIVERABLE (still in progress, webhook inactive, events purged)',
  })
  redeliver(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<{ id: string; redeliveryOf: string; status: 'PENDING' }> {
    return this.deliveries.redeliver({ accountId: admin.accountId, sub: admin.sub }, id);
  }

  @Post('webhooks/:id/replay')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ReplayResponse })
  replay(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) webhookId: string,
    @Body() body: ReplayDto,
  ): Promise<ReplayResult> {
    return this.deliveries.replay(
      { accountId: admin.accountId, sub: admin.sub },
      webhookId,
      body.from,
      body.to,
    );
  }
}
