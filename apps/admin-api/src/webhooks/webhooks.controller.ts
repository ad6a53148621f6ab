import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import {
  WebhookSignatureService,
  type SigningSecretFile,
  type WebhookDetailView,
  type WebhookView,
} from '@lms/webhook-domain';
import {
  DeleteWebhookCommand,
  RotateSigningSecretCommand,
  WebhookManagementService,
  type AdminActor,
} from '@lms/webhook-domain/admin';
import {
  ApiAuthenticatedErrors,
  ApiConflict,
  ApiJsonBodyErrors,
  ApiUnprocessable,
  ApiWebhookNotFound,
} from '../http/api-error-responses';
import { ApiUuidParam } from '../http/api-uuid-param';
import { CurrentActor } from '../http/current-actor.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import {
  AuditEntryResponse,
  SigningSecretResponse,
  WebhookDetailResponse,
  WebhookResponse,
} from './dto/webhook.response';

const NOT_A_SIGNATURE_WEBHOOK = ['NOT_A_SIGNATURE_WEBHOOK'];

/** GET /webhooks answers the account's webhook limit in this header, so the console hard-codes none. */
export const WEBHOOK_LIMIT_HEADER = 'X-Webhook-Limit';

/** The account's webhooks. The account is the token's; another account's webhook is 404. */
@ApiTags('webhooks')
@ApiAuthenticatedErrors()
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhookManagementService,
    private readonly signatures: WebhookSignatureService,
  ) {}

  @Get()
  @ApiOperation({ summary: "List the account's webhooks, each with its lanes, and the account's limit" })
  @ApiOkResponse({
    type: [WebhookDetailResponse],
    headers: {
      [WEBHOOK_LIMIT_HEADER]: {
        description: 'How many webhooks the account may have (MAX_WEBHOOKS_PER_ACCOUNT)',
        schema: { type: 'integer', minimum: 1 },
      },
    },
  })
  async list(
    @CurrentActor() actor: AdminActor,
    @Res({ passthrough: true }) response: Response,
  ): Promise<WebhookDetailView[]> {
    // A header, not an envelope: the body stays the array clients already read.
    const { webhooks, maxWebhooksPerAccount } = await this.webhooks.list(actor.accountId);
    response.setHeader(WEBHOOK_LIMIT_HEADER, String(maxWebhooksPerAccount));
    return webhooks;
  }

  @Post()
  @ApiOperation({ summary: 'Create a webhook (inactive unless `active: true`)' })
  @ApiCreatedResponse({ type: WebhookResponse })
  @ApiJsonBodyErrors()
  @ApiConflict(['WEBHOOK_NAME_TAKEN', 'WEBHOOK_LIMIT_REACHED'], 'the name is used, or the account is full')
  @ApiUnprocessable(['TARGET_NOT_ALLOWED', 'UNKNOWN_EVENT_TYPE'], 'the target or an event name is refused')
  create(@CurrentActor() actor: AdminActor, @Body() body: CreateWebhookDto): Promise<WebhookView> {
    return this.webhooks.create(body.toCommand(actor));
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one webhook, with the state of its delivery lanes' })
  @ApiUuidParam('webhook')
  @ApiOkResponse({ type: WebhookDetailResponse })
  @ApiWebhookNotFound()
  get(@CurrentActor() actor: AdminActor, @Param('id', UuidParamPipe) id: string): Promise<WebhookDetailView> {
    return this.webhooks.get(actor.accountId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change any subset of the create fields; `active: false` retires the webhook' })
  @ApiUuidParam('webhook')
  @ApiOkResponse({ type: WebhookResponse })
  @ApiJsonBodyErrors()
  @ApiWebhookNotFound()
  @ApiConflict(['WEBHOOK_NAME_TAKEN'], 'the new name is used by another webhook of the account')
  @ApiUnprocessable(
    ['TARGET_NOT_ALLOWED', 'UNKNOWN_EVENT_TYPE'],
    'the target (new, or the saved one on activation) or an event name is refused',
  )
  update(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: UpdateWebhookDto,
  ): Promise<WebhookView> {
    return this.webhooks.update(body.toCommand(actor, id));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook' })
  @ApiUuidParam('webhook')
  @ApiNoContentResponse({ description: 'Deleted; its pending deliveries are cancelled' })
  @ApiWebhookNotFound()
  async delete(@CurrentActor() actor: AdminActor, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.webhooks.delete(DeleteWebhookCommand.create({ actor, webhookId: id }));
  }

  @Get(':id/signature')
  @ApiOperation({ summary: 'Download the signing secret (SIGNATURE webhooks)' })
  @ApiUuidParam('webhook')
  @ApiProduces('application/json')
  @ApiOkResponse({
    type: SigningSecretResponse,
    description: 'A JSON file download (Content-Disposition: attachment)',
  })
  @ApiWebhookNotFound()
  @ApiConflict(NOT_A_SIGNATURE_WEBHOOK, 'the webhook uses NONE or BASIC authentication')
  @Header('Cache-Control', 'no-store')
  async downloadSignature(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SigningSecretFile> {
    const file = await this.signatures.download(actor, id);
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="webhook-${file.webhookId}-signing-secret.json"`,
    );
    return file;
  }

  @Post(':id/signature/rotate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'Rotate the signing secret; the previous one keeps signing for a while' })
  @ApiUuidParam('webhook')
  @ApiOkResponse({
    type: SigningSecretResponse,
    description: 'The new secret; the previous one keeps signing for SECRET_ROTATION_OVERLAP',
  })
  @ApiWebhookNotFound()
  @ApiConflict(NOT_A_SIGNATURE_WEBHOOK, 'the webhook uses NONE or BASIC authentication')
  rotateSignature(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<SigningSecretFile> {
    return this.signatures.rotate(RotateSigningSecretCommand.create({ actor, webhookId: id }));
  }

  @Get(':id/audit')
  @ApiOperation({ summary: "A webhook's audit trail, newest first" })
  @ApiUuidParam('webhook')
  @ApiOkResponse({ type: [AuditEntryResponse] })
  @ApiWebhookNotFound()
  async audit(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<AuditEntryResponse[]> {
    const entries = await this.webhooks.auditTrail(actor.accountId, id);
    return entries.map((entry) => ({
      action: entry.action,
      actor: entry.actor,
      at: entry.at,
      details: entry.details,
    }));
  }
}
