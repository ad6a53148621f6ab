import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Which column of which webhook a ciphertext belongs to. */
export type SecretField = 'basic_password' | 'signing_secret';

/**
 * Where a secret is stored: it is bound to this place as GCM additional authenticated data, so a
 * ciphertext copied to another webhook, or from the password column into a signing secret's, fails to
 * decrypt instead of handing its plaintext to whoever controls the other row.
 */
export interface SecretBinding {
  webhookId: string;
  field: SecretField;
}

/** v1: no binding (before issue 15). v2: bound to its webhook and field. */
const CURRENT_VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const IV_BYTES = 12;
/** GCM's full tag. Node accepts shorter tags unless told the length, and a 4-byte tag is forgeable. */
const TAG_BYTES = 16;

function additionalData(binding: SecretBinding): Buffer {
  if (!binding.webhookId) throw new Error('A secret must be bound to a webhook id');
  return Buffer.from(`lms-webhooks:${CURRENT_VERSION}:${binding.field}:${binding.webhookId}`, 'utf8');
}

/**
 * AES-256-GCM for secrets at rest (Basic passwords, signing secrets):
 * `v2:<iv>:<tag>:<ciphertext>` (base64 parts), authenticated with the webhook id and field name.
 * GCM authenticates, so a tampered, wrongly-keyed or moved value fails loudly instead of decrypting
 * to junk. `v1:` values (written before the binding existed) still decrypt, and are rewritten as
 * `v2:` by LegacySecretRewriter at the admin API's boot; `isLegacy` tells which ones those are.
 */
export class SecretCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretCipher needs a 32-byte key');
  }

  encrypt(plaintext: string, binding: SecretBinding): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(binding));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      CURRENT_VERSION,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      ciphertext.toString('base64'),
    ].join(':');
  }

  decrypt(stored: string, binding: SecretBinding): string {
    const parts = stored.split(':');
    const [version, iv, tag, ciphertext] = parts;
    if (
      parts.length !== 4 ||
      (version !== CURRENT_VERSION && version !== LEGACY_VERSION) ||
      !iv ||
      !tag ||
      ciphertext === undefined
    ) {
      throw new Error('Unrecognised encrypted secret format');
    }
    const ivBytes = Buffer.from(iv, 'base64');
    const tagBytes = Buffer.from(tag, 'base64');
    if (ivBytes.length !== IV_BYTES || tagBytes.length !== TAG_BYTES) {
      throw new Error(`Encrypted secret has a ${ivBytes.length}-byte IV and a ${tagBytes.length}-byte tag`);
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, ivBytes, { authTagLength: TAG_BYTES });
    if (version === CURRENT_VERSION) decipher.setAAD(additionalData(binding));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  }

  /** A value written before ciphertexts were bound to their place: it decrypts, and should be rewritten. */
  isLegacy(stored: string): boolean {
    return stored.startsWith(`${LEGACY_VERSION}:`);
  }
}
