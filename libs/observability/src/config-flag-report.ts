import type { LoggerService } from '@nestjs/common';
import type { Metrics } from './metrics';

/**
 * Publishes the ALLOW_* switches on /metrics (lmsw_config_flag{name}) and, in production, warns once
 * at boot for each one that is on: they are legitimate there (a receiver on the company network) but
 * must never be on by accident, so they are visible to whoever reads the logs or the dashboards.
 */
export function reportConfigFlags(
  flags: Record<string, boolean>,
  env: string,
  metrics: Metrics,
  logger: LoggerService,
): void {
  for (const [name, enabled] of Object.entries(flags)) {
    metrics.configFlag.set({ name }, enabled ? 1 : 0);
    if (enabled && env === 'production') {
      logger.warn(
        {
          msg: `${name} is on in production: webhook targets are less restricted than the default`,
          flag: name,
        },
        'Config',
      );
    }
  }
}
