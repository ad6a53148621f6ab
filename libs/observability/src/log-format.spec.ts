import { chooseLogFormat } from './log-format';

describe('chooseLogFormat', () => {
  it('prints readable lines for a person at a terminal outside production', () => {
    expect(chooseLogFormat({ NODE_ENV: 'development' }, true)).toBe('pretty');
    expect(chooseLogFormat({ NODE_ENV: 'test' }, true)).toBe('pretty');
  });

  it('keeps JSON lines off a terminal and in production (also when NODE_ENV is unset)', () => {
    expect(chooseLogFormat({ NODE_ENV: 'development' }, false)).toBe('json');
    expect(chooseLogFormat({ NODE_ENV: 'production' }, true)).toBe('json');
    expect(chooseLogFormat({}, true)).toBe('json');
  });

  it('obeys LOG_FORMAT either way, and refuses an unknown value naming the variable', () => {
    expect(chooseLogFormat({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
    expect(chooseLogFormat({ NODE_ENV: 'development', LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(() => chooseLogFormat({ LOG_FORMAT: 'text' }, true)).toThrow(
      'LOG_FORMAT must be one of json, pretty; got "text"',
    );
  });
});
