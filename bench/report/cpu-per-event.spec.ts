import type { ProcessUsage, UsageReport } from '../stack/process-sampler';
import { cpuMsPerThousandEvents } from './cpu-per-event';

function usageFactory(processes: Partial<ProcessUsage>[]): UsageReport {
  return {
    machineBusy: 0.5,
    seconds: 10,
    processes: processes.map((process, index) => ({
      name: 'dispatcher',
      pid: 100 + index,
      peakRssMb: 100,
      cpuCores: 0,
      cpuMs: 0,
      ...process,
    })),
  };
}

describe('cpuMsPerThousandEvents', () => {
  it('sums replicas and Postgres processes into their group, per 1,000 events', () => {
    const usage = usageFactory([
      { name: 'dispatcher', cpuMs: 3000 },
      { name: 'dispatcher', cpuMs: 1000 },
      { name: 'postgres (this db)', cpuMs: 1500 },
      { name: 'postgres (background)', cpuMs: 500 },
      { name: 'redis (shared)', cpuMs: 200 },
      { name: 'event-ingestion', cpuMs: 800 },
      { name: 'kafka broker', cpuMs: 400 },
      { name: 'receiver', cpuMs: 100 },
    ]);
    expect(cpuMsPerThousandEvents(usage, 20_000)).toEqual({
      dispatcher: 200,
      postgres: 100,
      redis: 10,
      'event-ingestion': 40,
      'kafka broker': 20,
      receiver: 5,
      total: 375,
    });
  });

  it('says nothing for a run that delivered nothing', () => {
    expect(cpuMsPerThousandEvents(usageFactory([{ cpuMs: 10 }]), 0)).toEqual({});
  });
});
