import { ConfigValidationError } from './config-error';
import { loadDispatcherConfig } from './app-config';

function problemsOf(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadDispatcherConfig({ NODE_ENV: 'test', ...env });
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

describe('dispatcher limits (fair share across accounts, request body cap)', () => {
  it('defaults to a quarter of the concurrency per account and a 4 MiB request body', () => {
    const config = loadDispatcherConfig({ NODE_ENV: 'test' });
    expect(config.accountMaxSharePercent).toBe(25);
    expect(config.maxRequestBodyBytes).toBe(4 * 1024 * 1024);
  });

  it('takes the values an operator sets', () => {
    const config = loadDispatcherConfig({
      NODE_ENV: 'test',
      DISPATCH_ACCOUNT_MAX_SHARE_PERCENT: '100',
      MAX_REQUEST_BODY_BYTES: String(8 * 1024 * 1024),
    });
    expect(config.accountMaxSharePercent).toBe(100);
    expect(config.maxRequestBodyBytes).toBe(8 * 1024 * 1024);
  });

  it.each([
    ['DISPATCH_ACCOUNT_MAX_SHARE_PERCENT', '0', /≥ 1/],
    ['DISPATCH_ACCOUNT_MAX_SHARE_PERCENT', '101', /≤ 100/],
    ['DISPATCH_ACCOUNT_MAX_SHARE_PERCENT', '0.25', /integer/],
    // Below 2 MiB one event of the 1 MiB ingestion limit might not fit.
    ['MAX_REQUEST_BODY_BYTES', String(1024 * 1024), /≥ 2097152/],
    ['MAX_REQUEST_BODY_BYTES', String(512 * 1024 * 1024), /≤ 268435456/],
    ['MAX_REQUEST_BODY_BYTES', '4MiB', /integer/],
  ])('refuses to boot with %s=%s, naming it', (variable, value, message) => {
    const problems = problemsOf({ [variable]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0].variable).toBe(variable);
    expect(problems[0].message).toMatch(message);
  });
});
