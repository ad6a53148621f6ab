import { answerJson, startListener, type TestListener } from '@lms/testing';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

/**
 * Issue 15 item 7, "credentials can be walked out": a stored Basic password goes only to the origin it
 * was given for, and the signing secret's download is in the audit trail. Both listeners are on
 * 127.0.0.1 (two ports: two origins).
 */
const ACCOUNT = 1515;
const BASE = '/api/v1/webhooks';
const basicAuth = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe('admin API: credentials stay with their origin, and the secret download is audited', () => {
  let api: AdminApiHarness;
  let token: string;
  let owner: TestListener;
  let elsewhere: TestListener;

  beforeAll(async () => {
    api = await startAdminApi('walkout', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
      MAX_WEBHOOKS_PER_ACCOUNT: '50',
    });
    token = api.tokenFor(ACCOUNT, { sub: 'alice' });
    owner = await startListener(answerJson(200, '{"ok":true}'));
    elsewhere = await startListener(answerJson(200, '{"ok":true}'));
  });
  afterAll(async () => {
    await owner?.close();
    await elsewhere?.close();
    await api?.close();
  });

  async function basicWebhook(): Promise<string> {
    const created = await api.call('POST', BASE, {
      token,
      body: webhookBody({
        targetUrl: `${owner.origin}/hooks/lms`,
        authentication: { type: 'BASIC', username: 'lms', password: 'owner-password' },
      }),
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  async function storedRow(id: string): Promise<{ target_url: string; basic_password_enc: string }> {
    return (await api.sql.query('SELECT target_url, basic_password_enc FROM webhooks WHERE id = $1', [id]))
      .rows[0];
  }

  async function testSaved(id: string): Promise<string | undefined> {
    const before = { owner: owner.requests.length, elsewhere: elsewhere.requests.length };
    const answer = await api.call('POST', `${BASE}/${id}/test`, { token, body: {} });
    expect(answer.body).toMatchObject({ delivered: true });
    const received = [...owner.requests.slice(before.owner), ...elsewhere.requests.slice(before.elsewhere)];
    expect(received).toHaveLength(1);
    return received[0].headers.authorization;
  }

  it('refuses to move a BASIC webhook to another origin without its password, naming the field, and changes nothing', async () => {
    const id = await basicWebhook();
    const before = await storedRow(id);
    for (const body of [
      { targetUrl: `${elsewhere.origin}/hooks/lms` },
      { targetUrl: `${elsewhere.origin}/hooks/lms`, authentication: { type: 'BASIC', username: 'lms' } },
      // Same host, another port; another scheme would be the same rule.
      { targetUrl: `http://127.0.0.1:${elsewhere.port}/hooks/lms`, name: 'renamed-on-the-way' },
    ]) {
      const answer = await api.call('PATCH', `${BASE}/${id}`, { token, body });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'authentication.password', message: expect.stringContaining('another origin') }],
      });
    }
    expect(await storedRow(id)).toEqual(before);
    // The saved webhook still sends its password to its own origin only.
    expect(await testSaved(id)).toBe(basicAuth('lms', 'owner-password'));
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('moves it with the password given again, and sends that one to the new origin', async () => {
    const id = await basicWebhook();
    const moved = await api.call('PATCH', `${BASE}/${id}`, {
      token,
      body: {
        targetUrl: `${elsewhere.origin}/hooks/lms`,
        authentication: { type: 'BASIC', username: 'lms', password: 'elsewhere-password' },
      },
    });
    expect(moved.status).toBe(200);
    expect(await testSaved(id)).toBe(basicAuth('lms', 'elsewhere-password'));
  });

  it('keeps the stored password for a new path on the same origin', async () => {
    const id = await basicWebhook();
    const moved = await api.call('PATCH', `${BASE}/${id}`, {
      token,
      body: { targetUrl: `${owner.origin}/hooks/v2` },
    });
    expect(moved.status).toBe(200);
    expect(await testSaved(id)).toBe(basicAuth('lms', 'owner-password'));
  });

  it('lets a webhook that no longer sends a password move anywhere', async () => {
    const id = await basicWebhook();
    const moved = await api.call('PATCH', `${BASE}/${id}`, {
      token,
      body: { targetUrl: `${elsewhere.origin}/hooks/lms`, authentication: { type: 'NONE' } },
    });
    expect(moved.status).toBe(200);
    expect((await storedRow(id)).basic_password_enc).toBeNull();
  });

  it('never sends the stored password in a test of another origin: the test needs one of its own', async () => {
    await basicWebhook();
    const calledBefore = elsewhere.requests.length;
    const answer = await api.call('POST', `${BASE}/test`, {
      token,
      body: {
        targetUrl: `${elsewhere.origin}/hooks/lms`,
        authentication: { type: 'BASIC', username: 'lms' },
        events: ['COURSE_ENROLLMENT'],
      },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.details).toEqual([expect.objectContaining({ field: 'authentication.password' })]);
    // Refused before any connection: the other origin was not called.
    expect(elsewhere.requests).toHaveLength(calledBefore);
  });

  it("does not decrypt a password copied into another webhook's row: the copy is never sent", async () => {
    const victim = await basicWebhook();
    const created = await api.call('POST', BASE, {
      token,
      body: webhookBody({
        targetUrl: `${elsewhere.origin}/hooks/lms`,
        authentication: { type: 'BASIC', username: 'lms', password: 'elsewhere-password' },
      }),
    });
    const thief = created.body.id as string;
    expect(await storedRow(victim)).toMatchObject({ basic_password_enc: expect.stringMatching(/^v2:/) });
    // Someone with write access to the table (not the key) moves the victim's ciphertext.
    await api.sql.query(
      `UPDATE webhooks SET basic_password_enc = (SELECT basic_password_enc FROM webhooks WHERE id = $1) WHERE id = $2`,
      [victim, thief],
    );
    const calledBefore = elsewhere.requests.length;
    const answer = await api.call('POST', `${BASE}/${thief}/test`, { token, body: {} });
    expect(answer.status).toBe(500);
    expect(elsewhere.requests).toHaveLength(calledBefore);
  });

  it('audits every download of the signing secret: who, when, which webhook', async () => {
    const created = await api.call('POST', BASE, {
      token,
      body: webhookBody({ targetUrl: `${owner.origin}/hooks/signed`, authentication: { type: 'SIGNATURE' } }),
    });
    const id = created.body.id as string;
    const startedAt = Date.now();
    const download = await api.call('GET', `${BASE}/${id}/signature`, {
      token: api.tokenFor(ACCOUNT, { sub: 'bob' }),
    });
    expect(download.status).toBe(200);

    const trail = await api.call('GET', `${BASE}/${id}/audit`, { token });
    expect(trail.status).toBe(200);
    const downloaded = trail.body.filter((entry: { action: string }) => entry.action === 'SECRET_DOWNLOADED');
    expect(downloaded).toEqual([
      { action: 'SECRET_DOWNLOADED', actor: 'bob', at: expect.any(String), details: expect.any(Object) },
    ]);
    expect(Date.parse(downloaded[0].at)).toBeGreaterThanOrEqual(startedAt - 1000);
    const row = await api.sql.query(
      `SELECT account_id::int AS account, webhook_id FROM audit_log WHERE action = 'SECRET_DOWNLOADED'`,
    );
    expect(row.rows).toEqual([{ account: ACCOUNT, webhook_id: id }]);
  });

  it('audits nothing when the download is refused (another account, not a SIGNATURE webhook)', async () => {
    const id = await basicWebhook();
    expect((await api.call('GET', `${BASE}/${id}/signature`, { token })).status).toBe(409);
    expect(
      (await api.call('GET', `${BASE}/${id}/signature`, { token: api.tokenFor(ACCOUNT + 1) })).status,
    ).toBe(404);
    const rows = await api.sql.query(
      `SELECT 1 FROM audit_log WHERE webhook_id = $1 AND action = 'SECRET_DOWNLOADED'`,
      [id],
    );
    expect(rows.rowCount).toBe(0);
  });
});
