import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  DeliveryLogService,
  type DeliveryDetailView,
  type DeliveryPage,
  type ReplayResult,
  type RedeliveryResult,
} from '@lms/webhook-domain';
import { RedeliverCommand, type AdminActor } from '@lms/webhook-domain/admin';
import {
  ApiAuthenticatedErrors,
  ApiConflict,
  ApiDeliveryNotFound,
  ApiJsonBodyErrors,
  ApiUnprocessable,
  ApiWebhookNotFound,
} from '../http/api-error-responses';
import { ApiUuidParam } from '../http/api-uuid-param';
import { CurrentActor } from '../http/current-actor.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import {
  DeliveryDetailResponse,
  DeliveryPageResponse,
  RedeliveryResponse,
  ReplayResponse,
} from './dto/delivery.response';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';
import { ReplayDto } from './dto/replay.dto';

/** The delivery log: what was sent, how it went, and re-sending. Same account rules as webhooks. */
@ApiTags('deliveries')
@ApiAuthenticatedErrors()
@Controller()
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveryLogService) {}

  @Get('webhooks/:id/deliveries')
  @ApiOperation({ summary: "A webhook's delivery log, newest first" })
  @ApiUuidParam('webhook')
  @ApiOkResponse({
    type: DeliveryPageResponse,
    description: 'Newest first; pass nextCursor as cursor for older ones',
  })
  @ApiWebhookNotFound()
  list(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) webhookId: string,
    @Query() query: ListDeliveriesQuery,
  ): Promise<DeliveryPage> {
    return this.deliveries.list(actor.accountId, webhookId, query.toFilter());
  }

  @Get('deliveries/:id')
  @ApiOperation({ summary: 'One delivery: the payload sent, its events and attempts' })
  @ApiUuidParam('delivery')
  @ApiOkResponse({ type: DeliveryDetailResponse })
  @ApiDeliveryNotFound()
  get(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<DeliveryDetailView> {
    return this.deliveries.get(actor.accountId, id);
  }

  @Post('deliveries/:id/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: "Re-send a finished delivery's events, appended to the end of its lane" })
  @ApiUuidParam('delivery')
  @ApiAcceptedResponse({ type: RedeliveryResponse })
  @ApiDeliveryNotFound()
  @ApiConflict(
    ['DELIVERY_NOT_REDELIVERABLE', 'PENDING_EVENTS_LIMIT_REACHED'],
    "still in progress, webhook not active, or its events were purged; or the webhook's waiting events would pass MAX_PENDING_EVENTS_PER_WEBHOOK (details: pending, requested, cap)",
  )
  redeliver(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<RedeliveryResult> {
    return this.deliveries.redeliver(RedeliverCommand.create({ actor, deliveryId: id }));
  }

  @Post('webhooks/:id/replay')
  @HttpCode(202)
  @ApiOperation({ summary: "Re-send the account's subscribed events of a time range" })
  @ApiUuidParam('webhook')
  @ApiAcceptedResponse({ type: ReplayResponse })
  @ApiJsonBodyErrors()
  @ApiWebhookNotFound()
  @ApiConflict(
    ['DELIVERY_NOT_REDELIVERABLE', 'REPLAY_ALREADY_QUEUED', 'PENDING_EVENTS_LIMIT_REACHED'],
    "the webhook is not active; or the same replay (webhook, from, to) made earlier still has events waiting, so nothing was added (details: replayId); or the webhook's waiting events would pass MAX_PENDING_EVENTS_PER_WEBHOOK (details: pending, requested, cap)",
  )
  @ApiUnprocessable(['REPLAY_RANGE_TOO_LARGE'], 'the range holds more than 10,000 events: split it')
  replay(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) webhookId: string,
    @Body() body: ReplayDto,
  ): Promise<ReplayResult> {
    return this.deliveries.replay(body.toCommand(actor, webhookId));
  }
}
