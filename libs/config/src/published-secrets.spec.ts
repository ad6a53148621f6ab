import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAdminApiConfig, loadDispatcherConfig } from './app-config';
import { ConfigValidationError } from './config-error';
import { developmentSecretsKey, PUBLISHED_ADMIN_JWT_SECRETS } from './published-secrets';

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** A production admin API configured as an operator should: own random secrets, issuer and audience. */
function productionEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    ADMIN_JWT_SECRET: randomBytes(48).toString('base64'),
    ADMIN_JWT_ISSUER: 'https://lms.example.org',
    ADMIN_JWT_AUDIENCE: 'lms-webhooks',
    SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...overrides,
  };
}

function problems(load: () => unknown): { variable: string; message: string }[] {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  return [];
}

/** Text files of the repository that could publish a value: sources, docs, compose, env examples. */
function repositoryTexts(): { file: string; text: string }[] {
  const skipped = /(^|\/)(node_modules|dist|\.git|\.test-results|coverage)(\/|$)/;
  return (readdirSync(REPO_ROOT, { recursive: true }) as string[])
    .filter((file) => !skipped.test(file) && /\.(ts|tsx|mts|js|md|ya?ml|sh)$|(^|\/)\.env[\w.]*$/.test(file))
    .map((file) => ({ file, text: readFileSync(path.join(REPO_ROOT, file), 'utf8') }));
}

/**
 * Every literal the repository gives an admin JWT secret: `ADMIN_JWT_SECRET=value` / `: value` /
 * `${ADMIN_JWT_SECRET:-value}`, constants named *_JWT_SECRET, and quoted `…jwt-secret…` strings (README).
 */
function jwtSecretsWrittenInTheRepository(): { file: string; value: string }[] {
  const patterns = [
    /ADMIN_JWT_SECRET\s*[:=]\s*['"]?([^'"\s,}#]+)/g,
    /\$\{ADMIN_JWT_SECRET:-([^}]+)\}/g,
    /_JWT_SECRET\s*=\s*['"]([^'"]+)['"]/g,
    /[`'"]([\w-]*jwt[-_]secret[\w-]*)[`'"]/gi,
  ];
  const found: { file: string; value: string }[] = [];
  for (const { file, text } of repositoryTexts()) {
    for (const pattern of patterns) {
      for (const match of text.matchAll(pattern)) {
        const value = match[1];
        // Variable names, references and empty examples are not values; 32 characters is the minimum anyway.
        if (value.length < 32 || value.startsWith('$') || /^[A-Za-z_.]+$/.test(value)) continue;
        found.push({ file, value });
      }
    }
  }
  return found;
}

describe('published secrets in production', () => {
  it.each(PUBLISHED_ADMIN_JWT_SECRETS)(
    'refuses the published admin JWT secret %s, naming the variable',
    (secret) => {
      const refused = problems(() => loadAdminApiConfig(productionEnv({ ADMIN_JWT_SECRET: secret })));
      expect(refused.map((problem) => problem.variable)).toEqual(['ADMIN_JWT_SECRET']);
      expect(refused[0].message).toMatch(/published in the lms-webhooks repository/);
    },
  );

  it('refuses every admin JWT secret written anywhere in the repository (scripts, compose, README, tests)', () => {
    const written = jwtSecretsWrittenInTheRepository();
    // The scan must see at least npm start's, mint-token's and the test stacks' values to mean anything.
    expect(written.map(({ file }) => file)).toEqual(
      expect.arrayContaining([
        path.join('libs', 'config', 'src', 'published-secrets.ts'),
        path.join('test', 'support', 'app-processes.ts'),
        'README.md',
      ]),
    );
    const accepted = written.filter(
      ({ value }) =>
        problems(() => loadAdminApiConfig(productionEnv({ ADMIN_JWT_SECRET: value }))).length === 0,
    );
    expect(accepted).toEqual([]);
  });

  it('refuses placeholder and non-random JWT secrets', () => {
    for (const secret of [
      'x'.repeat(32),
      'ab'.repeat(20),
      'please-change-me-before-going-live-0123456789',
      'REPLACE_ME_REPLACE_ME_REPLACE_ME_42',
      'my-placeholder-secret-for-the-admin-api',
    ]) {
      expect(
        problems(() => loadAdminApiConfig(productionEnv({ ADMIN_JWT_SECRET: secret }))).map(
          (p) => p.variable,
        ),
      ).toEqual(['ADMIN_JWT_SECRET']);
    }
  });

  it('refuses the development encryption key and the old compose placeholder, in either app', () => {
    for (const key of [
      developmentSecretsKey().toString('base64'),
      developmentSecretsKey().toString('hex'),
      'REPLACE+ME+WITH+32+RANDOM+BYTES+BASE64+XXXXX=',
      Buffer.alloc(32).toString('base64'),
      'ab'.repeat(32),
    ]) {
      const env = productionEnv({ SECRETS_ENCRYPTION_KEY: key });
      expect(problems(() => loadAdminApiConfig(env)).map((p) => p.variable)).toEqual([
        'SECRETS_ENCRYPTION_KEY',
      ]);
      expect(problems(() => loadDispatcherConfig(env)).map((p) => p.variable)).toEqual([
        'SECRETS_ENCRYPTION_KEY',
      ]);
    }
  });

  it('requires the issuer and the audience in production, and names both', () => {
    const refused = problems(() =>
      loadAdminApiConfig(productionEnv({ ADMIN_JWT_ISSUER: '', ADMIN_JWT_AUDIENCE: '' })),
    );
    expect(refused.map((problem) => problem.variable).sort()).toEqual([
      'ADMIN_JWT_AUDIENCE',
      'ADMIN_JWT_ISSUER',
    ]);
  });

  it('boots in production with own values', () => {
    expect(problems(() => loadAdminApiConfig(productionEnv()))).toEqual([]);
    expect(problems(() => loadDispatcherConfig(productionEnv()))).toEqual([]);
  });

  it('keeps the published development values working outside production (npm start, the test stacks)', () => {
    for (const env of ['development', 'test']) {
      for (const secret of PUBLISHED_ADMIN_JWT_SECRETS) {
        expect(problems(() => loadAdminApiConfig({ NODE_ENV: env, ADMIN_JWT_SECRET: secret }))).toEqual([]);
      }
      expect(
        problems(() =>
          loadDispatcherConfig({
            NODE_ENV: env,
            SECRETS_ENCRYPTION_KEY: developmentSecretsKey().toString('hex'),
          }),
        ),
      ).toEqual([]);
    }
  });
});

describe('BIND_HOST', () => {
  it('is unset by default (every interface) and honoured by every app', () => {
    expect(loadDispatcherConfig({ NODE_ENV: 'test' }).bindHost).toBeUndefined();
    expect(loadDispatcherConfig({ NODE_ENV: 'test', BIND_HOST: '127.0.0.1' }).bindHost).toBe('127.0.0.1');
    expect(
      loadAdminApiConfig({
        NODE_ENV: 'test',
        ADMIN_JWT_SECRET: PUBLISHED_ADMIN_JWT_SECRETS[0],
        BIND_HOST: '::1',
      }).bindHost,
    ).toBe('::1');
  });

  it('refuses a URL or a host with a port, naming the variable', () => {
    for (const bad of ['http://127.0.0.1', '127.0.0.1:3000', 'a b']) {
      expect(
        problems(() => loadDispatcherConfig({ NODE_ENV: 'test', BIND_HOST: bad })).map((p) => p.variable),
      ).toEqual(['BIND_HOST']);
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const SECRETS = ['SECRETS_ENCRYPTION_KEY', 'ADMIN_JWT_SECRET', 'ADMIN_JWT_ISSUER', 'ADMIN_JWT_AUDIENCE'];

  /**
   * The variables compose gives the apps, interpolated as compose would from `shell`: `${X:?msg}`
   * fails when X is unset, `${X:-default}` falls back. Every `KEY: value` line of the file is taken
   * (the broker's KAFKA_* settings too: the apps ignore variables they do not read).
   */
  function composeEnvironment(shell: Record<string, string>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [, key, raw] of compose.matchAll(/^ {2,}([A-Z][A-Z0-9_]*): *(.+)$/gm)) {
      env[key] = raw
        .replace(/^'(.*)'$/, '$1')
        .replace(/\$\{(\w+)(:\?|:-)([^}]*)\}/g, (_match, name: string, operator: string, text: string) => {
          if (shell[name] !== undefined) return shell[name];
          if (operator === ':-') return text;
          throw new Error(`compose refuses: ${name} ${text}`);
        });
    }
    return env;
  }

  it('has no default for any secret: each is required with ${VAR:?message}', () => {
    for (const name of SECRETS) {
      const uses = [...compose.matchAll(new RegExp(`\\b${name}: *(.+)$`, 'gm'))].map((match) => match[1]);
      expect(uses.length).toBeGreaterThan(0);
      for (const use of uses) expect(use).toMatch(new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`));
    }
    for (const name of SECRETS) {
      const { [name]: _omitted, ...others } = Object.fromEntries(SECRETS.map((secret) => [secret, 'x']));
      expect(() => composeEnvironment(others)).toThrow(`compose refuses: ${name}`);
    }
  });

  it('boots the apps in production once the operator sets their own values, and not with published ones', () => {
    const own = {
      SECRETS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      ADMIN_JWT_SECRET: randomBytes(48).toString('base64'),
      ADMIN_JWT_ISSUER: 'https://lms.example.org',
      ADMIN_JWT_AUDIENCE: 'lms-webhooks',
    };
    const env = composeEnvironment(own);
    expect(env.NODE_ENV).toBe('production');
    expect(problems(() => loadAdminApiConfig(env))).toEqual([]);
    expect(problems(() => loadDispatcherConfig(env))).toEqual([]);
    const published = composeEnvironment({ ...own, ADMIN_JWT_SECRET: PUBLISHED_ADMIN_JWT_SECRETS[1] });
    expect(problems(() => loadAdminApiConfig(published)).map((problem) => problem.variable)).toEqual([
      'ADMIN_JWT_SECRET',
    ]);
  });

  it('runs the image in production (the Dockerfile sets NODE_ENV)', () => {
    expect(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/^ENV NODE_ENV=production$/m);
  });
});
