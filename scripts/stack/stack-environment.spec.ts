import { loadAdminApiConfig, loadDispatcherConfig, loadIngestionConfig } from '@lms/config';
import { developmentStackEnv, localOrigin } from './stack-environment';

describe('npm start environment', () => {
  it('binds every app to 127.0.0.1 unless told otherwise', () => {
    const env = developmentStackEnv({});
    expect(loadAdminApiConfig(env).bindHost).toBe('127.0.0.1');
    expect(loadIngestionConfig(env).bindHost).toBe('127.0.0.1');
    expect(loadDispatcherConfig(env).bindHost).toBe('127.0.0.1');
  });

  it('lets the environment expose it on purpose', () => {
    expect(loadAdminApiConfig(developmentStackEnv({ BIND_HOST: '0.0.0.0' })).bindHost).toBe('0.0.0.0');
  });

  it('is a development stack: its published secret would be refused in production', () => {
    expect(developmentStackEnv({}).NODE_ENV).toBe('development');
    expect(() => loadAdminApiConfig(developmentStackEnv({ NODE_ENV: 'production' }))).toThrow(
      /ADMIN_JWT_SECRET/,
    );
  });
});

describe('localOrigin', () => {
  it('reaches a wildcard bind on 127.0.0.1 and a specific one on its own address', () => {
    expect(localOrigin(undefined, 3000)).toBe('http://127.0.0.1:3000');
    expect(localOrigin('0.0.0.0', 3000)).toBe('http://127.0.0.1:3000');
    expect(localOrigin('127.0.0.1', 3001)).toBe('http://127.0.0.1:3001');
    expect(localOrigin('::1', 3002)).toBe('http://[::1]:3002');
  });
});
