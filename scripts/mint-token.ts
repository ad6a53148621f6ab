// Prints a signed admin token for trying the API locally:
//   npm run token -- --account 1010 [--role INTEGRATION_ADMIN] [--ttl 1h] [--sub alice]
// Signs with ADMIN_JWT_SECRET (HS256) or ADMIN_JWT_PRIVATE_KEY (RS256, PEM); without either, with the
// documented development secret that `npm start` also uses. Never use that secret in production.
import { parseArgs } from 'node:util';
import { INTEGRATION_ADMIN_ROLE, signAdminToken } from '@lms/auth';
import { parseDuration } from '@lms/config';

export const DEV_ADMIN_JWT_SECRET = 'dev-only-admin-jwt-secret-change-me-0123456789';

const USAGE =
  'usage: npm run token -- --account <id> [--role INTEGRATION_ADMIN]... [--ttl 1h] [--sub <admin id>]';

function main(): void {
  const { values } = parseArgs({
    options: {
      account: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '1h' },
      sub: { type: 'string' },
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
    throw new Error(`--ttl must be a duration of at least 1s, like 15m, 1h or 7d\n${USAGE}`);

  const privateKey = process.env.ADMIN_JWT_PRIVATE_KEY?.replace(/\\n/g, '\n');
  const secret = process.env.ADMIN_JWT_SECRET || DEV_ADMIN_JWT_SECRET;
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
  console.log(token);
}

try {
  main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
