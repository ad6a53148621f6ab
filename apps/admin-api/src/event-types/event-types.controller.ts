import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { EVENT_CATALOGUE } from '@lms/payload-schemas';
import { ApiAuthenticatedErrors } from '../http/api-error-responses';

export class EventTypeResponse {
  @ApiProperty({ example: 'COURSE_ENROLLMENT' }) name: string;
  @ApiProperty({ description: 'Real-time events are sent as they happen; the others in scheduled batches' })
  realtime: boolean;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'JSON Schema of `data`' })
  schema: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'An example `data`' })
  example: Record<string, unknown>;
}

@ApiTags('event-types')
@ApiAuthenticatedErrors()
@Controller('event-types')
export class EventTypesController {
  private readonly catalogue: EventTypeResponse[] = EVENT_CATALOGUE.map((definition) => ({
    name: definition.name,
    realtime: definition.realtime,
    description: definition.description,
    schema: definition.schema,
    example: definition.example,
  }));

  @Get()
  @ApiOperation({ summary: 'The event catalogue: what a webhook can subscribe to' })
  @ApiOkResponse({ type: [EventTypeResponse] })
  list(): EventTypeResponse[] {
    return this.catalogue;
  }
}
