import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { EVENT_CATALOGUE } from '@lms/payload-schemas';

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
@ApiBearerAuth()
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
  @ApiOkResponse({ type: [EventTypeResponse] })
  list(): EventTypeResponse[] {
    return this.catalogue;
  }
}
