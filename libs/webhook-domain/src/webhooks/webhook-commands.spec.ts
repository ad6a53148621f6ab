import { DomainError } from '../errors/domain-error';
import { requirePasswordForNewOrigin } from './webhook-commands';

describe('requirePasswordForNewOrigin', () => {
  const saved = 'https://hr.example.org/hooks/lms';

  function refusal(next: string, authentication?: Parameters<typeof requirePasswordForNewOrigin>[2]) {
    try {
      requirePasswordForNewOrigin(saved, next, authentication);
      return undefined;
    } catch (error) {
      return error instanceof DomainError ? error.details : error;
    }
  }

  it.each([
    ['another host', 'https://attacker.example.net/hooks/lms'],
    ['another port', 'https://hr.example.org:8443/hooks/lms'],
    ['another scheme', 'http://hr.example.org/hooks/lms'],
  ])('needs the password again for %s, naming authentication.password', (_label, next) => {
    expect(refusal(next)).toEqual([expect.objectContaining({ field: 'authentication.password' })]);
    expect(refusal(next, { type: 'BASIC', username: 'lms' })).toEqual([
      expect.objectContaining({ field: 'authentication.password' }),
    ]);
    expect(refusal(next, { type: 'BASIC', username: 'lms', password: 'given again' })).toBeUndefined();
  });

  it('keeps the stored password within the origin (path, query, default port spelled out)', () => {
    expect(refusal('https://hr.example.org/other/path?x=1')).toBeUndefined();
    expect(refusal('https://hr.example.org:443/hooks/lms')).toBeUndefined();
  });
});
