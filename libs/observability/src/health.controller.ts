import { Controller, Get, SetMetadata } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ReadinessProbes } from './readiness-probe';
import { PUBLIC_ROUTE } from './public-route';

@Controller('health')
@SetMetadata(PUBLIC_ROUTE, true)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessProbes,
  ) {}

  /** The process runs and its event loop answers: restart it if this fails. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every dependency answers: route traffic / hand partitions to it only if this passes. */
  @Get('ready')
  // No Swagger here: terminus would load @nestjs/swagger (~30 MB resident) into every app that has it
  // installed, the dispatcher and ingestion included; the admin API documents the route itself
  // (documentHealthCheck in its openapi-document.ts).
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  ready() {
    return this.health.check(
      this.readiness.list().map((probe) => async () => {
        const indicator = this.indicators.check(probe.name);
        try {
          await withTimeout(probe.check(), 3000);
          return indicator.up();
        } catch (error) {
          return indicator.down({ message: error instanceof Error ? error.message : String(error) });
        }
      }),
    );
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
