import { Body, Controller, Delete, Get, Header, HttpCode, Param, Patch, Post, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiProduces,
} from '@nestjs/swagger';
import type { Response } from 'express';
import type { AdminPrincipal } from '@lms/auth';
import { CurrentAdmin } from '@lms/role-guards';
import {
  WebhookManagementService,
  WebhookSignatureService,
  type SigningSecretFile,
  type WebhookView,
} from '@lms/webhook-domain';
import { ApiErrorBody } from '../http/api-error';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { AuditEntryResponse, SigningSecretResponse, WebhookResponse } from './dto/webhook.response';

/** The account's webhooks. The account is the token's; another account's webhook is 404. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhookManagementService,
    private readonly signatures: WebhookSignatureService,
  ) {}

  @Get()
  @ApiOkResponse({ type: [WebhookResponse] })
  list(@CurrentAdmin() admin: AdminPrincipal): Promise<WebhookView[]> {
    return this.webhooks.list(admin.accountId);
  }

  @Post()
  @ApiCreatedResponse({ type: WebhookResponse })
  @ApiConflictResponse({ type: ApiErrorBody, description: 'WEBHOOK_NAME_TAKEN or WEBHOOK_LIMIT_REACHED' })
  @ApiUnprocessableEntityResponse({
    type: ApiErrorBody,
    description: 'TARGET_NOT_ALLOWED or UNKNOWN_EVENT_TYPE',
  })
  create(@CurrentAdmin() admin: AdminPrincipal, @Body() body: CreateWebhookDto): Promise<WebhookView> {
    return this.webhooks.create({
      actor: { accountId: admin.accountId, sub: admin.sub },
      name: body.name,
      description: body.description,
      targetUrl: body.targetUrl,
      authentication: body.authentication.toInput(),
      events: body.events,
      active: body.active,
      rateLimitPerSecond: body.rateLimitPerSecond,
    });
  }

  @Get(':id')
  @ApiOkResponse({ type: WebhookResponse })
  @ApiNotFoundResponse({ type: ApiErrorBody })
  get(@CurrentAdmin() admin: AdminPrincipal, @Param('id', UuidParamPipe) id: string): Promise<WebhookView> {
    return this.webhooks.get(admin.accountId, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: WebhookResponse })
  update(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: UpdateWebhookDto,
  ): Promise<WebhookView> {
    return this.webhooks.update({
      actor: { accountId: admin.accountId, sub: admin.sub },
      webhookId: id,
      name: body.name,
      description: body.description,
      targetUrl: body.targetUrl,
      authentication: body.authentication?.toInput(),
      events: body.events,
      active: body.active,
      rateLimitPerSecond: body.rateLimitPerSecond,
    });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Deleted; its pending deliveries are cancelled' })
  async delete(@CurrentAdmin() admin: AdminPrincipal, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.webhooks.delete({ accountId: admin.accountId, sub: admin.sub }, id);
  }

  @Get(':id/signature')
  @ApiProduces('application/json')
  @ApiOkResponse({
    type: SigningSecretResponse,
    description: 'A JSON file download (Content-Disposition: attachment)',
  })
  @ApiConflictResponse({ type: ApiErrorBody, description: 'NOT_A_SIGNATURE_WEBHOOK' })
  @Header('Cache-Control', 'no-store')
  async downloadSignature(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<SigningSecretFile> {
    const file = await this.signatures.download(admin.accountId, id);
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="webhook-${file.webhookId}-signing-secret.json"`,
    );
    return file;
  }

  @Post(':id/signature/rotate')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOkResponse({
    type: SigningSecretResponse,
    description: 'The new secret; the previous one keeps signing for SECRET_ROTATION_OVERLAP',
  })
  @ApiConflictResponse({ type: ApiErrorBody, description: 'NOT_A_SIGNATURE_WEBHOOK' })
  rotateSignature(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<SigningSecretFile> {
    return this.signatures.rotate({ accountId: admin.accountId, sub: admin.sub }, id);
  }

  @Get(':id/audit')
  @ApiOkResponse({ type: [AuditEntryResponse] })
  async audit(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<AuditEntryResponse[]> {
    const entries = await this.webhooks.auditTrail(admin.accountId, id);
    return entries.map((entry) => ({
      action: entry.action,
      actor: entry.actor,
      at: entry.at,
      details: entry.details,
    }));
  }
}
