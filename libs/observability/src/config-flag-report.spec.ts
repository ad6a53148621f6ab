import type { LoggerService } from '@nestjs/common';
import { reportConfigFlags } from './config-flag-report';
import { Metrics } from './metrics';

function recordingLogger(): LoggerService & { warnings: unknown[] } {
  const warnings: unknown[] = [];
  return { warnings, log: () => {}, error: () => {}, warn: (message: unknown) => warnings.push(message) };
}

describe('reportConfigFlags', () => {
  const flags = { ALLOW_PRIVATE_TARGETS: true, ALLOW_HTTP_TARGETS: false };

  it('shows every ALLOW_* switch on /metrics as lmsw_config_flag{name}', async () => {
    const metrics = new Metrics();
    reportConfigFlags(flags, 'development', metrics, recordingLogger());
    const text = await metrics.registry.metrics();
    expect(text).toContain('lmsw_config_flag{name="ALLOW_PRIVATE_TARGETS"} 1');
    expect(text).toContain('lmsw_config_flag{name="ALLOW_HTTP_TARGETS"} 0');
  });

  it('warns at boot for each switch that is on in production, naming it', () => {
    const logger = recordingLogger();
    reportConfigFlags(flags, 'production', new Metrics(), logger);
    expect(logger.warnings).toEqual([
      expect.objectContaining({
        flag: 'ALLOW_PRIVATE_TARGETS',
        msg: expect.stringContaining('ALLOW_PRIVATE_TARGETS'),
      }),
    ]);
  });

  it('does not warn outside production, where npm start turns them on on purpose', () => {
    const logger = recordingLogger();
    reportConfigFlags(flags, 'development', new Metrics(), logger);
    expect(logger.warnings).toEqual([]);
  });
});
