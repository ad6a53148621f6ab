// Are Postgres and Redis reachable? Says how to start them if not. Plain JavaScript: runs before any build.
const { Client } = require('pg');
const Redis = require('ioredis');

// The server is what must answer: the app's own database may not exist yet (npm start creates it).
const databaseUrl = serverUrl(
  process.env.TEST_DATABASE_ADMIN_URL ||
    process.env.DATABASE_URL ||
    'postgres://postgres@127.0.0.1:5432/postgres',
);

function serverUrl(url) {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

async function checkPostgres() {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function checkRedis() {
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 3000,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } finally {
    redis.disconnect();
  }
}

(async () => {
  const problems = [];
  await checkPostgres().catch((error) =>
    problems.push(
      `PostgreSQL is not reachable at ${databaseUrl.replace(/\/\/[^@]*@/, '//…@')} (${error.message}).\n` +
        '  Start it, e.g.: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    ),
  );
  await checkRedis().catch((error) =>
    problems.push(
      `Redis is not reachable at ${redisUrl} (${error.message}).\n` +
        '  Start it, e.g.: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
    ),
  );
  if (problems.length > 0) {
    console.error(problems.join('\n'));
    process.exit(1);
  }
})();
