const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a human duration ("500ms", "5s", "5m", "24h", "7d", or a bare number of milliseconds).
 * Returns undefined when the text is not a duration, so config validation can name the variable.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]) * UNIT_MS[match[2] ?? 'ms'];
  return Number.isFinite(value) ? Math.round(value) : undefined;
}

/** Parses a comma-separated list of durations ("5s,10s,5m"); undefined if any item is not one. */
export function parseDurationList(text: string): number[] | undefined {
  const parts = text.split(',').map((part) => parseDuration(part));
  return parts.length > 0 && parts.every((ms): ms is number => ms !== undefined && ms > 0)
    ? parts
    : undefined;
}
