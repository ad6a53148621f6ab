import { validateCronExpression } from 'cron';
import { ConfigProblem, ConfigValidationError } from './config-error';
import { parseDuration, parseDurationList } from './duration';

type Env = Record<string, string | undefined>;

/**
 * Reads typed values from the environment and collects every problem instead of stopping at the first,
 * so a misconfigured deployment is fixed in one go. Call `done()` after the last read: it throws
 * ConfigValidationError when anything was wrong.
 */
export class EnvReader {
  private readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Env = process.env) {}

  string(name: string, fallback?: string): string {
    const raw = this.raw(name);
    if (raw !== undefined) return raw;
    if (fallback !== undefined) return fallback;
    this.problem(name, 'is required');
    return '';
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    this.problem(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
    return fallback;
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isSafeInteger(value)) {
      this.problem(name, `must be an integer (got "${raw}")`);
      return fallback;
    }
    if (range.min !== undefined && value < range.min)
      this.problem(name, `must be ≥ ${range.min} (got ${value})`);
    if (range.max !== undefined && value > range.max)
      this.problem(name, `must be ≤ ${range.max} (got ${value})`);
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    this.problem(name, `must be true or false (got "${raw}")`);
    return fallback;
  }

  /** A duration in ms: "500ms", "5s", "5m", "24h", "7d" or a bare number of milliseconds. */
  duration(name: string, fallback: string, range: { min?: number } = {}): number {
    const raw = this.raw(name) ?? fallback;
    const value = parseDuration(raw);
    if (value === undefined) {
      this.problem(name, `must be a duration like 500ms, 5s, 5m, 24h or 7d (got "${raw}")`);
      return parseDuration(fallback) ?? 0;
    }
    if (range.min !== undefined && value < range.min)
      this.problem(name, `must be at least ${range.min}ms (got "${raw}")`);
    return value;
  }

  durationList(name: string, fallback: string): number[] {
    const raw = this.raw(name) ?? fallback;
    const value = parseDurationList(raw);
    if (value === undefined) {
      this.problem(
        name,
        `must be a comma-separated list of positive durations like 5s,10s,5m (got "${raw}")`,
      );
      return parseDurationList(fallback) ?? [];
    }
    return value;
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const raw = this.raw(name) ?? fallback;
    try {
      const parsed = new URL(raw);
      if (!protocols.includes(parsed.protocol)) {
        this.problem(name, `must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
      }
    } catch {
      this.problem(name, `must be a URL (got "${raw}")`);
    }
    return raw;
  }

  /** A cron expression (5 fields, or 6 with seconds) that the scheduler will accept: checked at boot, not at the first tick. */
  cron(name: string, fallback: string): string {
    const raw = this.raw(name) ?? fallback;
    const verdict = validateCronExpression(raw);
    if (!verdict.valid) {
      this.problem(
        name,
        `must be a cron expression such as "*/5 * * * *" (got "${raw}": ${verdict.error?.message ?? 'invalid'})`,
      );
    }
    return raw;
  }

  list(name: string, fallback: string): string[] {
    const value = (this.raw(name) ?? fallback)
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
    if (value.length === 0) this.problem(name, 'must list at least one value');
    return value;
  }

  problem(variable: string, message: string): void {
    this.problems.push({ variable, message });
  }

  done(): void {
    if (this.problems.length > 0) throw new ConfigValidationError(this.problems);
  }

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }
}
