import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createTestDatabase, insertWebhookRow, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../database/data-source-options';
import { runMigrationsLocked } from '../database/run-migrations-locked';
import { LaneAppendRepository } from '../lanes/lane-append.repository';
import { LaneRepository } from '../lanes/lane.repository';
import { WebhookRepository } from '../webhooks/webhook.repository';
import { LegacySecretRewriter } from './legacy-secret-rewriter';
import { SecretCipher, type SecretBinding } from './secret-cipher';

/** How values were written before issue 15: `v1:`, bound to nothing. */
function legacyEncrypt(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv, cipher.getAuthTag(), ciphertext].map((part) => part.toString('base64')).join(':');
}

/** Issue 15 item 7: secrets stored before ciphertexts were bound to their row are rewritten once, at boot. */
describe('LegacySecretRewriter (real Postgres)', () => {
  const key = randomBytes(32);
  const cipher = new SecretCipher(key);
  let database: TestDatabase;
  let dataSource: DataSource;
  let rewriter: LegacySecretRewriter;

  beforeAll(async () => {
    database = await createTestDatabase('legacy_secrets');
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, poolSize: 4, migrateOnBoot: true }, 'legacy-secrets-test'),
    ).initialize();
    await runMigrationsLocked(dataSource);
    const lanes = new LaneRepository(dataSource);
    rewriter = new LegacySecretRewriter(
      new WebhookRepository(dataSource, lanes, new LaneAppendRepository(dataSource)),
      cipher,
    );
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  async function insertWebhook(passwordEnc: string | null, secretEnc: string | null) {
    const id = randomUUID();
    const secretId = randomUUID();
    await insertWebhookRow(dataSource, {
      id,
      accountId: 15,
      targetUrl: 'https://127.0.0.1/hooks',
      authType: passwordEnc ? 'BASIC' : 'SIGNATURE',
      basicUsername: passwordEnc ? 'lms' : null,
      basicPasswordEnc: passwordEnc,
      events: ['COURSE_ENROLLMENT'],
      status: 'INACTIVE',
    });
    if (secretEnc) {
      await dataSource.query(`INSERT INTO webhook_secrets (id, webhook_id, secret_enc) VALUES ($1, $2, $3)`, [
        secretId,
        id,
        secretEnc,
      ]);
    }
    return { id, secretId };
  }

  const storedPassword = async (id: string): Promise<string> =>
    (await dataSource.query(`SELECT basic_password_enc FROM webhooks WHERE id = $1`, [id]))[0]
      .basic_password_enc;
  const storedSecret = async (id: string): Promise<string> =>
    (await dataSource.query(`SELECT secret_enc FROM webhook_secrets WHERE id = $1`, [id]))[0].secret_enc;

  it('rewrites every v1 value as v2, bound to its webhook and field, once; the plaintext is unchanged', async () => {
    const basic = await insertWebhook(legacyEncrypt(key, 'basic password'), null);
    const signed = await insertWebhook(null, legacyEncrypt(key, 'whsec_legacy'));
    const passwordBinding: SecretBinding = { webhookId: basic.id, field: 'basic_password' };
    const secretBinding: SecretBinding = { webhookId: signed.id, field: 'signing_secret' };
    const alreadyBound = await insertWebhook(
      cipher.encrypt('new password', { webhookId: 'x', field: 'basic_password' }),
      null,
    );
    const untouched = await storedPassword(alreadyBound.id);

    expect(await rewriter.rewriteAll()).toEqual({ rewritten: 2, unreadable: [] });

    const password = await storedPassword(basic.id);
    const secret = await storedSecret(signed.secretId);
    expect(password).toMatch(/^v2:/);
    expect(secret).toMatch(/^v2:/);
    expect(cipher.decrypt(password, passwordBinding)).toBe('basic password');
    expect(cipher.decrypt(secret, secretBinding)).toBe('whsec_legacy');
    expect(await storedPassword(alreadyBound.id)).toBe(untouched);

    // Now bound: copied to another webhook or into the other field, it no longer decrypts.
    expect(() => cipher.decrypt(password, { ...passwordBinding, webhookId: signed.id })).toThrow();
    expect(() => cipher.decrypt(password, { ...passwordBinding, field: 'signing_secret' })).toThrow();

    // Idempotent: nothing left to do.
    expect(await rewriter.rewriteAll()).toEqual({ rewritten: 0, unreadable: [] });
    expect(await storedPassword(basic.id)).toBe(password);
  });

  it('leaves a value that does not decrypt under this key as it is, and names its webhook', async () => {
    const foreign = legacyEncrypt(randomBytes(32), 'someone else');
    const broken = await insertWebhook(foreign, null);
    expect(await rewriter.rewriteAll()).toEqual({ rewritten: 0, unreadable: [broken.id] });
    expect(await storedPassword(broken.id)).toBe(foreign);
    await dataSource.query(`DELETE FROM webhooks WHERE id = $1`, [broken.id]);
  });

  it('does not undo a change made after the value was read (compare-and-set)', async () => {
    const basic = await insertWebhook(legacyEncrypt(key, 'old'), null);
    const repository = new WebhookRepository(
      dataSource,
      new LaneRepository(dataSource),
      new LaneAppendRepository(dataSource),
    );
    const [legacy] = await repository.legacyCiphertexts(dataSource.manager);
    const changedMeanwhile = cipher.encrypt('changed by an admin', {
      webhookId: basic.id,
      field: 'basic_password',
    });
    await dataSource.query(`UPDATE webhooks SET basic_password_enc = $2 WHERE id = $1`, [
      basic.id,
      changedMeanwhile,
    ]);
    const next = cipher.encrypt('old', { webhookId: basic.id, field: 'basic_password' });
    expect(await repository.replaceCiphertexts(dataSource.manager, [{ legacy, next }])).toBe(0);
    expect(await storedPassword(basic.id)).toBe(changedMeanwhile);
  });

  it('rewrites each value once when two replicas boot at the same time', async () => {
    await insertWebhook(legacyEncrypt(key, 'concurrent'), null);
    const results = await Promise.all([rewriter.rewriteAll(), rewriter.rewriteAll()]);
    // One may find the lock taken (null); the values rewritten add up to one either way.
    const rewritten = results.map((result) => result?.rewritten ?? 0);
    expect(rewritten.reduce((a, b) => a + b, 0)).toBe(1);
  });
});
