import { ApiPropertyOptional, IntersectionType, PartialType, PickType } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { TestUnsavedWebhookCommand, type AdminActor } from '@lms/webhook-domain/admin';
import { IsOptionalNotNull } from '../http/is-optional-not-null.decorator';
import { CreateWebhookDto } from '../webhooks/dto/create-webhook.dto';

export class TestEventChoiceDto {
  @ApiPropertyOptional({
    example: 'COURSE_ENROLLMENT',
    description: 'Which catalogue example to send; default the first subscribed event',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(64)
  eventName?: string;
}

/** An unsaved webhook as on the Add page (name and the rest optional), plus which event to send. */
export class TestUnsavedWebhookDto extends IntersectionType(
  PickType(CreateWebhookDto, ['targetUrl', 'authentication', 'events'] as const),
  PartialType(PickType(CreateWebhookDto, ['name', 'description', 'active', 'rateLimitPerSecond'] as const)),
  TestEventChoiceDto,
) {
  toCommand(actor: AdminActor): TestUnsavedWebhookCommand {
    return TestUnsavedWebhookCommand.create({
      actor,
      targetUrl: this.targetUrl,
      authentication: this.authentication.toInput(),
      events: this.events,
      eventName: this.eventName,
    });
  }
}
