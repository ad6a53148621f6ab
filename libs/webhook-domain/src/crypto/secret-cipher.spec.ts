import { randomBytes } from 'node:crypto';
import { SecretCipher } from './secret-cipher';

describe('SecretCipher', () => {
  const cipher = new SecretCipher(randomBytes(32));

  it('round-trips and never stores the plaintext', () => {
    const stored = cipher.encrypt('whsec_c2VjcmV0');
    expect(stored).not.toContain('whsec_c2VjcmV0');
    expect(stored.startsWith('v1:')).toBe(true);
    expect(cipher.decrypt(stored)).toBe('whsec_c2VjcmV0');
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('rejects a value encrypted under another key or tampered with', () => {
    const stored = cipher.encrypt('p@ss');
    expect(() => new SecretCipher(randomBytes(32)).decrypt(stored)).toThrow();
    const parts = stored.split(':');
    parts[3] = Buffer.from('junk').toString('base64');
    expect(() => cipher.decrypt(parts.join(':'))).toThrow();
    expect(() => cipher.decrypt('plaintext')).toThrow('Unrecognised');
  });
});
