// Prints a signed admin token for trying the API locally:
//   npm run token -- --account 1010 [--role INTEGRATION_ADMIN] [--ttl 1h] [--sub alice] [--console]
// With --console it prints a console URL that signs in with the token in its fragment instead.
// Signs with ADMIN_JWT_SECRET (HS256) or ADMIN_JWT_PRIVATE_KEY (RS256, PEM); without either, with the
// documented development secret that `npm start` also uses. Never use that secret in production.
import { parseArgs } from 'node:util';
import { INTEGRATION_ADMIN_ROLE, signAdminToken } from '@lms/auth';
import { DEVELOPMENT_ADMIN_JWT_SECRET, parseDuration } from '@lms/config';

/** The admin API's default ADMIN_JWT_MAX_LIFETIME (libs/config): a longer-lived token is refused there. */
const DEFAULT_MAX_LIFETIME = '24h';

/**
 * Why a token of this lifetime would be refused by an admin API configured by `env`, or null. Checked
 * here so `--ttl 7d` fails with a reason instead of printing a token that only ever gets 401.
 */
export function ttlProblem(ttl: string, ttlMs: number, env: NodeJS.ProcessEnv): string | null {
  const maxText = env.ADMIN_JWT_MAX_LIFETIME || DEFAULT_MAX_LIFETIME;
  const maxMs = parseDuration(maxText);
  if (maxMs === undefined) return `ADMIN_JWT_MAX_LIFETIME=${maxText} is not a duration such as 24h`;
  if (ttlMs <= maxMs) return null;
  return (
    `--ttl ${ttl} is longer than ADMIN_JWT_MAX_LIFETIME (${maxText}): the admin API would refuse the token ` +
    `with 401. Use --ttl ${maxText} or less, or raise ADMIN_JWT_MAX_LIFETIME for the admin API (and here).`
  );
}

/**
 * The console URL that signs in with `token`: ADMIN_CONSOLE_URL, else the admin API on 127.0.0.1 and
 * ADMIN_API_PORT (3000). The token goes in the fragment, which browsers never send to the server.
 */
export function consoleUrl(token: string, env: NodeJS.ProcessEnv): string {
  const base = env.ADMIN_CONSOLE_URL || `http://127.0.0.1:${env.ADMIN_API_PORT || 3000}/console`;
  return `${base.replace(/#.*$/, '')}#token=${encodeURIComponent(token)}`;
}

const USAGE =
  'usage: npm run token -- --account <id> [--role INTEGRATION_ADMIN]... [--ttl 1h] [--sub <admin id>] [--console]';

function main(): void {
  const { values } = parseArgs({
    options: {
      account: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
      console: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const accountId = Number(values.account);
  if (!Number.isSafeInteger(accountId) || accountId <= 0)
    throw new Error(`--account must be a positive integer\n${USAGE}`);
  const ttlMs = parseDuration(values.ttl);
  if (ttlMs === undefined || ttlMs < 1000)
    throw new Error(`--ttl must be a duration of at least 1s, like 15m, 1h or 24h\n${USAGE}`);
  const problem = ttlProblem(values.ttl, ttlMs, process.env);
  if (problem) throw new Error(problem);

  const privateKey = process.env.ADMIN_JWT_PRIVATE_KEY?.replace(/\\n/g, '\n');
  const secret = process.env.ADMIN_JWT_SECRET || DEVELOPMENT_ADMIN_JWT_SECRET;
  if (!process.env.ADMIN_JWT_SECRET && !privateKey) {
    console.error(`(signing with the development secret; set ADMIN_JWT_SECRET to match your admin-api)`);
  }
  const token = signAdminToken(
    {
      secret: privateKey ? undefined : secret,
      privateKey,
      issuer: process.env.ADMIN_JWT_ISSUER || undefined,
      audience: process.env.ADMIN_JWT_AUDIENCE || undefined,
    },
    {
      accountId,
      sub: values.sub,
      roles: values.role ?? [INTEGRATION_ADMIN_ROLE],
      ttlSeconds: Math.floor(ttlMs / 1000),
    },
  );
  console.log(values.console ? consoleUrl(token, process.env) : token);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
