import type { RunStats } from '../receiver/receiver-protocol';

/** produced = delivered + missing, duplicates counted beside; a run that does not balance is void. */
export interface RunBalance {
  produced: number;
  delivered: number;
  missing: number;
  duplicates: number;
  unknown: number;
  signatureFailures: number;
  valid: boolean;
  /** Why the run is void, when it is. */
  voidReason: string | null;
}

export function balanceRun(produced: number, stats: RunStats): RunBalance {
  const missing = produced - stats.uniqueEvents;
  const reasons: string[] = [];
  if (missing > 0)
    reasons.push(
      `${missing} of ${produced} events never delivered (first missing: ${stats.missingSample.slice(0, 5).join(', ')})`,
    );
  if (stats.unknownEvents > 0)
    reasons.push(`${stats.unknownEvents} events received that were never produced`);
  if (stats.signatureFailures > 0)
    reasons.push(
      `${stats.signatureFailures} of ${stats.signaturesChecked} sampled signatures did not verify`,
    );
  return {
    produced,
    delivered: stats.uniqueEvents,
    missing,
    duplicates: stats.duplicateEvents,
    unknown: stats.unknownEvents,
    signatureFailures: stats.signatureFailures,
    valid: reasons.length === 0,
    voidReason: reasons.length > 0 ? reasons.join('; ') : null,
  };
}

export function describeBalance(balance: RunBalance): string {
  const line = `${balance.produced} = ${balance.delivered} delivered + ${balance.missing} missing, ${balance.duplicates} dup`;
  return balance.valid ? line : `VOID: ${line}`;
}
