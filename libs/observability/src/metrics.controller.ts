import { Controller, Get, Header, SetMetadata } from '@nestjs/common';
import { Metrics } from './metrics';
import { PUBLIC_ROUTE } from './public-route';

@Controller('metrics')
@SetMetadata(PUBLIC_ROUTE, true)
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
