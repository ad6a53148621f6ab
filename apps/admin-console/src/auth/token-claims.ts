// What a token says about whose account it opens, for the person to read before it is used. Nothing
// here verifies the signature: the admin API does that on every request. The claims are checked as the
// API checks them (libs/auth principalFromClaims), so a token shown as "account 1010 as alice" is one
// the API would read the same way, and one it would refuse is shown as unreadable.

export interface TokenClaims {
  accountId: number;
  subject: string;
}

/** The JWT's account and subject, or undefined when it is not a JWT carrying both as the API expects. */
export function readTokenClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const payload = decodeJsonSegment(parts[1]);
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { accountId, sub } = payload as Record<string, unknown>;
  if (typeof accountId !== 'number' || !Number.isSafeInteger(accountId) || accountId <= 0) return undefined;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > 255) return undefined;
  return { accountId, subject: displaySafe(sub) };
}

function decodeJsonSegment(segment: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
    const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}

// Control and format characters (bidirectional overrides, zero-width ones) could make a subject read as
// another one (U+202E turns "ecila" into "alice" on screen); they are shown as code points instead.
const INVISIBLE_OR_REORDERING = /[\p{Cc}\p{Cf}]/gu;

function displaySafe(text: string): string {
  return text.replace(
    INVISIBLE_OR_REORDERING,
    (char) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
  );
}
