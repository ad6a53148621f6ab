import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { AdminPrincipal } from '@lms/auth';
import { CurrentAdmin } from '@lms/role-guards';
import { UuidParamPipe } from '../http/uuid-param.pipe';
import { TestEventChoiceDto, TestUnsavedWebhookDto } from './test-webhook.dto';
import { WebhookTestService, type WebhookTestResult } from './webhook-test.service';

class WebhookTestResponse {
  @ApiProperty() delivered: boolean;
  @ApiProperty({ nullable: true, type: Number }) statusCode: number | null;
  @ApiProperty() durationMs: number;
  @ApiProperty({ description: 'First KiB of the response body' }) responseBody: string;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty({ example: 'COURSE_ENROLLMENT' }) eventName: string;
  @ApiProperty({ description: 'The webhook-id header sent' }) messageId: string;
  @ApiPropertyOptional({ description: 'Unsaved SIGNATURE webhooks: the throwaway secret used' })
  signingSecret?: string;
}

/** "Test webhook" on the Add and Edit pages. 200 whatever the listener answered: the body says how it went. */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller('webhooks')
export class WebhookTestController {
  constructor(private readonly tester: WebhookTestService) {}

  @Post('test')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookTestResponse })
  testUnsaved(
    @CurrentAdmin() admin: AdminPrincipal,
    @Body() body: TestUnsavedWebhookDto,
  ): Promise<WebhookTestResult> {
    return this.tester.testUnsaved(
      admin.accountId,
      { targetUrl: body.targetUrl, authentication: body.authentication.toInput(), events: body.events },
      body.eventName,
    );
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOkResponse({ type: WebhookTestResponse })
  testSaved(
    @CurrentAdmin() admin: AdminPrincipal,
    @Param('id', UuidParamPipe) id: string,
    @Body() body: TestEventChoiceDto,
  ): Promise<WebhookTestResult> {
    return this.tester.testSaved(admin.accountId, id, body.eventName);
  }
}
