import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  name: string;
  pid: number;
  peakRssMb: number;
  /** CPU time used while sampling, as a share of one core (1.0 = one core fully busy). */
  cpuCores: number;
  /** CPU time used while sampling (user + system), in ms: what a scenario's work cost this process. */
  cpuMs: number;
}

export interface UsageReport {
  processes: ProcessUsage[];
  /** Whole machine, all cores: share of the sampling window the CPUs were busy (0..1). */
  machineBusy: number;
  seconds: number;
}

const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Samples VmRSS from /proc/<pid>/status (peak over the window) and CPU ticks from /proc/<pid>/stat
 * (start and end) for the processes of one scenario, plus whole-machine CPU from /proc/stat. Linux only;
 * elsewhere the figures stay at zero.
 */
export class ProcessSampler {
  private readonly peaks = new Map<string, number>();
  private readonly startTicks = new Map<string, number>();
  /** Last CPU ticks read per process: a process that exits mid-window keeps what it used. */
  private readonly lastTicks = new Map<string, number>();
  private machineStart = readMachineTicks();
  private startedAt = Date.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly processes: () => { name: string; pid: number }[]) {}

  start(intervalMs = 200): void {
    this.startedAt = Date.now();
    this.machineStart = readMachineTicks();
    for (const { name, pid } of this.processes()) this.startTicks.set(key(name, pid), readProcessTicks(pid));
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): UsageReport {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const seconds = (Date.now() - this.startedAt) / 1000;
    const machineEnd = readMachineTicks();
    const total = machineEnd.total - this.machineStart.total;
    const idle = machineEnd.idle - this.machineStart.idle;
    return {
      seconds,
      machineBusy: total > 0 ? round((total - idle) / total) : 0,
      processes: this.processes().map(({ name, pid }) => {
        const id = key(name, pid);
        const ticks = Math.max(0, (this.lastTicks.get(id) ?? 0) - (this.startTicks.get(id) ?? 0));
        return {
          name,
          pid,
          peakRssMb: round((this.peaks.get(id) ?? 0) / 1024),
          cpuCores: seconds > 0 ? round(ticks / CLOCK_TICKS_PER_SECOND / seconds) : 0,
          cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND,
        };
      }),
    };
  }

  private sample(): void {
    for (const { name, pid } of this.processes()) {
      const rssKb = readRssKb(pid);
      const id = key(name, pid);
      const ticks = readProcessTicks(pid);
      if (!this.startTicks.has(id)) this.startTicks.set(id, ticks);
      if (ticks > 0) this.lastTicks.set(id, ticks);
      this.peaks.set(id, Math.max(this.peaks.get(id) ?? 0, rssKb));
    }
  }
}

function key(name: string, pid: number): string {
  return `${name}#${pid}`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export function readRssKb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function readProcessTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function readMachineTicks(): { total: number; idle: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = cpu[3] + (cpu[4] ?? 0);
    return { total: cpu.reduce((sum, value) => sum + value, 0), idle };
  } catch {
    return { total: 0, idle: 0 };
  }
}
