import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { SecretCipher, type SecretBinding } from './secret-cipher';

/** How values were written before issue 15: `v1:`, no binding. Rows like this exist in deployed databases. */
function legacyEncrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    'v1',
    iv.toString('base64'),
    cipher.getAuthTag().toString('base64'),
    ciphertext.toString('base64'),
  ].join(':');
}

function withTag(stored: string, tag: Buffer): string {
  const parts = stored.split(':');
  parts[2] = tag.toString('base64');
  return parts.join(':');
}

describe('SecretCipher', () => {
  const key = randomBytes(32);
  const cipher = new SecretCipher(key);
  const password: SecretBinding = { webhookId: randomUUID(), field: 'basic_password' };

  it('round-trips and never stores the plaintext', () => {
    const stored = cipher.encrypt('whsec_c2VjcmV0', password);
    expect(stored).not.toContain('whsec_c2VjcmV0');
    expect(stored.startsWith('v2:')).toBe(true);
    expect(cipher.isLegacy(stored)).toBe(false);
    expect(cipher.decrypt(stored, password)).toBe('whsec_c2VjcmV0');
  });

  it('uses a fresh IV each time', () => {
    expect(cipher.encrypt('same', password)).not.toBe(cipher.encrypt('same', password));
  });

  it('does not decrypt a ciphertext copied to another webhook or to another field', () => {
    const stored = cipher.encrypt('p@ss', password);
    expect(() => cipher.decrypt(stored, { ...password, webhookId: randomUUID() })).toThrow();
    expect(() => cipher.decrypt(stored, { ...password, field: 'signing_secret' })).toThrow();
  });

  it('refuses a tag shorter than 16 bytes, even one that is a prefix of the right tag', () => {
    const stored = cipher.encrypt('p@ss', password);
    const tag = Buffer.from(stored.split(':')[2], 'base64');
    expect(tag).toHaveLength(16);
    for (const length of [4, 8, 12, 15]) {
      expect(() => cipher.decrypt(withTag(stored, tag.subarray(0, length)), password)).toThrow(
        `${length}-byte tag`,
      );
    }
    // The same holds for values from before the binding: Node alone would check only the given bytes.
    const legacy = legacyEncrypt(key, 'p@ss');
    const legacyTag = Buffer.from(legacy.split(':')[2], 'base64');
    expect(() => cipher.decrypt(withTag(legacy, legacyTag.subarray(0, 4)), password)).toThrow('4-byte tag');
  });

  it('still decrypts a v1 value written before the binding, and says it should be rewritten', () => {
    const legacy = legacyEncrypt(key, 'old password');
    expect(cipher.isLegacy(legacy)).toBe(true);
    expect(cipher.decrypt(legacy, password)).toBe('old password');
  });

  it('rejects a value encrypted under another key or tampered with', () => {
    const stored = cipher.encrypt('p@ss', password);
    expect(() => new SecretCipher(randomBytes(32)).decrypt(stored, password)).toThrow();
    const parts = stored.split(':');
    parts[3] = Buffer.from('junk').toString('base64');
    expect(() => cipher.decrypt(parts.join(':'), password)).toThrow();
    expect(() => cipher.decrypt('plaintext', password)).toThrow('Unrecognised');
    expect(() => cipher.decrypt(`${stored}:extra`, password)).toThrow('Unrecognised');
  });

  it('refuses to encrypt without the webhook it belongs to', () => {
    expect(() => cipher.encrypt('p@ss', { webhookId: '', field: 'basic_password' })).toThrow(
      'bound to a webhook',
    );
  });
});
