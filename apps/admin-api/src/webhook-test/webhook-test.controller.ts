import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import {
  TestSavedWebhookCommand,
  TestSendUseCase,
  type AdminActor,
  type TestSendResult,
} from '@lms/webhook-domain/admin';
import {
  ApiAuthenticatedErrors,
  ApiJsonBodyErrors,
  ApiTestSendLimits,
  ApiUnprocessable,
  ApiWebhookNotFound,
} from '../http/api-error-responses';
import { ApiUuidParam } from '../http/api-uuid-param';
import { CurrentActor } from '../http/current-actor.decorator';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { TestSendAdmission } from '../rate-limits/test-send-admission';
import { TestEventChoiceDto, TestUnsavedWebhookDto } from './test-webhook.dto';

class WebhookTestResponse {
  @ApiProperty() delivered: boolean;
  @ApiProperty({ nullable: true, type: 'integer' }) statusCode: number | null;
  @ApiProperty({ type: 'integer' }) durationMs: number;
  @ApiProperty({ description: 'First KiB of the response body' }) responseBody: string;
  @ApiProperty({ nullable: true, type: String, example: 'HTTP 500' }) error: string | null;
  @ApiProperty({ example: 'COURSE_ENROLLMENT' }) eventName: string;
  @ApiProperty({ format: 'uuid', description: 'The webhook-id header sent' }) messageId: string;
  @ApiPropertyOptional({ description: 'Unsaved SIGNATURE webhooks: the throwaway secret used' })
  signingSecret?: string;
}

/** "Test webhook" on the Add and Edit pages. 200 whatever the listener answered: the body says how it went. */
@ApiTags('webhooks')
@ApiAuthenticatedErrors()
@Controller('webhooks')
export class WebhookTestController {
  constructor(
    private readonly testSend: TestSendUseCase,
    private readonly admission: TestSendAdmission,
  ) {}

  @Post('test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send an event example to an unsaved webhook (nothing is recorded)' })
  @ApiOkResponse({ type: WebhookTestResponse, description: 'Whatever the listener answered' })
  @ApiJsonBodyErrors()
  @ApiTestSendLimits()
  @ApiUnprocessable(
    ['TARGET_NOT_ALLOWED', 'UNKNOWN_EVENT_TYPE', 'EVENT_NOT_SUBSCRIBED'],
    'the target, an event name, or the chosen event is refused',
  )
  testUnsaved(
    @CurrentActor() actor: AdminActor,
    @Body() body: TestUnsavedWebhookDto,
  ): Promise<TestSendResult> {
    // The command is built inside the admission, as the check it runs counts against the account's test-sends.
    return this.admission.run(actor.accountId, () => this.testSend.sendToUnsaved(body.toCommand(actor)));
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send an event example to a saved webhook, active or not (nothing is recorded)' })
  @ApiUuidParam('webhook')
  @ApiOkResponse({ type: WebhookTestResponse, description: 'Whatever the listener answered' })
  @ApiJsonBodyErrors()
  @ApiWebhookNotFound()
  @ApiTestSendLimits()
  @ApiUnprocessable(
    ['TARGET_NOT_ALLOWED', 'UNKNOWN_EVENT_TYPE', 'EVENT_NOT_SUBSCRIBED'],
    'the saved target is refused now, or the event is unknown or not subscribed',
  )
  testSaved(
    @CurrentActor() actor: AdminActor,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: TestEventChoiceDto,
  ): Promise<TestSendResult> {
    return this.admission.run(actor.accountId, () =>
      this.testSend.sendToSaved(
        TestSavedWebhookCommand.create({ actor, webhookId: id, eventName: body.eventName }),
      ),
    );
  }
}
