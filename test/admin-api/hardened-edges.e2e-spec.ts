import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { JwtService } from '@nestjs/jwt';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { answerJson, insertWebhookRow, startListener, type TestListener } from '@lms/testing';
import { startAdminApi, TEST_JWT_SECRET, type AdminApiHarness } from './support/admin-api-harness';
import { PUBLIC_TARGET, webhookBody } from './support/webhook-factory';

/**
 * Issue 12, items 1–6: each edge an attacker or a careless client found, on an installation with the
 * production rules (no private and no plain-http targets). Nothing here sends traffic anywhere but
 * loopback: refused targets are refused before any connection, and the only listener is on 127.0.0.1.
 */
const ACCOUNT = 1212;
const BASE = '/api/v1/webhooks';

describe('admin API hardened edges (private and http targets not allowed)', () => {
  let api: AdminApiHarness;
  let token: string;
  let webhookId: string;

  beforeAll(async () => {
    api = await startAdminApi('hardened');
    token = api.tokenFor(ACCOUNT);
    webhookId = (await api.call('POST', BASE, { token, body: webhookBody({ name: 'anchor' }) })).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  const rowCount = async () =>
    (await api.sql.query('SELECT count(*)::int AS n FROM webhooks WHERE account_id = $1', [ACCOUNT])).rows[0]
      .n;

  /** A webhook row as a looser configuration (or an older version) would have saved it. */
  async function savedRaw(targetUrl: string): Promise<string> {
    const id = randomUUID();
    return insertWebhookRow(api.sql, {
      id,
      accountId: ACCOUNT,
      name: `raw-${id.slice(0, 8)}`,
      targetUrl,
      events: ['COURSE_ENROLLMENT'],
      status: 'INACTIVE',
    });
  }

  describe('item 2: IPv6 transition forms and special-purpose ranges are refused when saved', () => {
    it.each([
      ['IPv4-compatible loopback', 'https://[::7f00:1]/hooks'],
      ['IPv4-compatible, dotted', 'https://[::127.0.0.1]/hooks'],
      ['SIIT', 'https://[::ffff:0:7f00:1]/hooks'],
      ['6to4 embedding 169.254.169.254', 'https://[2002:a9fe:a9fe::]/hooks'],
      ['NAT64 embedding 169.254.169.254', 'https://[64:ff9b::a9fe:a9fe]/hooks'],
      ['NAT64 local-use', 'https://[64:ff9b:1::a00:1]/hooks'],
      ['site-local', 'https://[fec0::1]/hooks'],
      ['Teredo with a loopback client', 'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/hooks'],
      ['the 6to4 relay anycast', 'https://192.88.99.1/hooks'],
    ])('422 TARGET_NOT_ALLOWED for %s', async (_label, targetUrl) => {
      const before = await rowCount();
      const answer = await api.call('POST', BASE, { token, body: webhookBody({ targetUrl }) });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({
        code: 'TARGET_NOT_ALLOWED',
        details: [
          {
            field: 'targetUrl',
            code: 'TARGET_URL_NOT_ALLOWED',
            message: expect.stringContaining('non-public address'),
            params: {
              reason: 'NON_PUBLIC_ADDRESS',
              host: new URL(targetUrl).hostname.replace(/^\[(.*)\]$/, '$1'),
            },
          },
        ],
      });
      const patched = await api.call('PATCH', `${BASE}/${webhookId}`, { token, body: { targetUrl } });
      expect(patched.status).toBe(422);
      expect(await rowCount()).toBe(before);
    });
  });

  describe('item 4: the target rules are checked again when a webhook is activated', () => {
    it('PATCH {active:true} of a webhook saved with an http URL is 422 and it stays inactive', async () => {
      const id = await savedRaw('http://93.184.215.14/hooks');
      const answer = await api.call('PATCH', `${BASE}/${id}`, { token, body: { active: true } });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({ code: 'TARGET_NOT_ALLOWED', details: [{ field: 'targetUrl' }] });
      expect((await api.call('GET', `${BASE}/${id}`, { token })).body).toMatchObject({
        active: false,
        status: 'INACTIVE',
      });
    });

    it('PATCH {active:true} of a webhook saved with a loopback URL is 422', async () => {
      const id = await savedRaw('https://127.0.0.1/hooks');
      const answer = await api.call('PATCH', `${BASE}/${id}`, { token, body: { active: true } });
      expect(answer.status).toBe(422);
      expect(answer.body.code).toBe('TARGET_NOT_ALLOWED');
    });

    it('activating together with a new, allowed URL works', async () => {
      const id = await savedRaw('http://93.184.215.14/hooks');
      const answer = await api.call('PATCH', `${BASE}/${id}`, {
        token,
        body: { active: true, targetUrl: PUBLIC_TARGET },
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ active: true, targetUrl: PUBLIC_TARGET });
    });
  });

  describe('item 5: targetUrl is stored and returned as the WHATWG serialisation', () => {
    it.each([
      [' https://93.184.215.14/hooks', 'https://93.184.215.14/hooks'],
      ['HTTPS://93.184.215.14:443/a/../hooks', 'https://93.184.215.14/hooks'],
      ['https://93.184.215.14\\@evil.example/', 'https://93.184.215.14/@evil.example/'],
      ['https://93.184.215.14/a b', 'https://93.184.215.14/a%20b'],
    ])('%p is stored as %p', async (raw, href) => {
      const created = await api.call('POST', BASE, { token, body: webhookBody({ targetUrl: raw }) });
      expect(created.status).toBe(201);
      expect(created.body.targetUrl).toBe(href);
      const stored = await api.sql.query('SELECT target_url FROM webhooks WHERE id = $1', [created.body.id]);
      expect(stored.rows[0].target_url).toBe(href);
      await api.call('DELETE', `${BASE}/${created.body.id}`, { token });
    });

    it.each([
      ['CR/LF', 'https://93.184.215.14/a\r\nX-Injected: 1', 'must not contain control characters'],
      ['TAB', 'https://93.184.215.14/a\tb', 'must not contain control characters'],
      ['port 0', 'https://93.184.215.14:0/', 'must not use port 0'],
    ])('400 VALIDATION_FAILED for %s', async (_label, targetUrl, message) => {
      const answer = await api.call('POST', BASE, { token, body: webhookBody({ targetUrl }) });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'targetUrl', message }],
      });
    });

    it('PATCH stores the serialised URL too', async () => {
      const answer = await api.call('PATCH', `${BASE}/${webhookId}`, {
        token,
        body: { targetUrl: '\u0020https://93.184.215.14/./patched' },
      });
      expect(answer.body.targetUrl).toBe('https://93.184.215.14/patched');
    });
  });

  describe('item 3: hostile numbers, instants and encodings are 4xx with a code', () => {
    it.each([1e19, 2 ** 63, -1, '2024-02-30'])('replay with to=%p is 400 VALIDATION_FAILED', async (to) => {
      const answer = await api.call('POST', `${BASE}/${webhookId}/replay`, { token, body: { from: 0, to } });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'to' }] });
    });

    it.each(['-8640000000000000', '8640000000000000', '2024-02-30', '2026-02-29T00:00:00Z'])(
      'GET deliveries?from=%s is 400 VALIDATION_FAILED',
      async (from) => {
        const answer = await api.call('GET', `${BASE}/${webhookId}/deliveries?from=${from}`, { token });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'from' }] });
      },
    );

    it.each(['gzip', 'deflate', 'br'])(
      'a body with Content-Encoding: %s is 415 UNSUPPORTED_MEDIA_TYPE, compressed or not',
      async (encoding) => {
        const plain = JSON.stringify(webhookBody());
        for (const body of [plain, encoding === 'gzip' ? gzipSync(plain) : plain]) {
          const answer = await fetch(`${api.baseUrl}${BASE}`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'content-encoding': encoding,
            },
            body,
          });
          expect(answer.status).toBe(415);
          expect(await answer.json()).toMatchObject({
            code: 'UNSUPPORTED_MEDIA_TYPE',
            message: expect.stringContaining('Content-Encoding'),
          });
        }
      },
    );
  });

  describe('item 6: tokens, charsets, names', () => {
    it('401 for a token expiring in 1e300 seconds, or further ahead than ADMIN_JWT_MAX_LIFETIME (24h)', async () => {
      const forever = new JwtService().sign(
        { accountId: ACCOUNT, roles: ['INTEGRATION_ADMIN'], exp: 1e300 },
        { secret: TEST_JWT_SECRET, subject: 'mallory' },
      );
      expect((await api.call('GET', BASE, { token: forever })).status).toBe(401);
      expect(
        (await api.call('GET', BASE, { token: api.tokenFor(ACCOUNT, { ttlSeconds: 25 * 3600 }) })).status,
      ).toBe(401);
      expect(
        (await api.call('GET', BASE, { token: api.tokenFor(ACCOUNT, { ttlSeconds: 23 * 3600 }) })).status,
      ).toBe(200);
    });

    it('400 INVALID_UTF8 for a body that is not UTF-8, and nothing is stored', async () => {
      const before = await rowCount();
      const json = JSON.stringify(webhookBody({ name: 'latin-XX' }));
      const body = Buffer.from(json.replace('XX', '\u0000\u0000'), 'utf8');
      body.set([0xc3, 0x28], body.indexOf(0)); // an invalid two-byte sequence where "XX" was
      const answer = await fetch(`${api.baseUrl}${BASE}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ code: 'INVALID_UTF8' });
      expect(await rowCount()).toBe(before);
    });

    it.each(['utf-16', 'utf-16le', 'utf-32', 'latin1'])(
      '415 UNSUPPORTED_MEDIA_TYPE for charset=%s',
      async (charset) => {
        const answer = await api.call('POST', BASE, {
          token,
          rawBody: JSON.stringify(webhookBody()),
          headers: { 'content-type': `application/json; charset=${charset}` },
        });
        expect(answer.status).toBe(415);
        expect(answer.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      },
    );

    it('names are unique case-insensitively and in NFC: "Café HR" blocks "CAFÉ hr" and a decomposed "Café HR"', async () => {
      // An account of its own: the other tests' webhooks count toward the limit of 5.
      const own = api.tokenFor(ACCOUNT + 1);
      const other = (await api.call('POST', BASE, { token: own, body: webhookBody() })).body;
      const created = await api.call('POST', BASE, {
        token: own,
        body: webhookBody({ name: 'Caf\u00e9 HR' }),
      });
      expect(created.status).toBe(201);
      for (const name of ['CAF\u00c9 hr', 'Cafe\u0301 HR', 'caf\u00e9 hr']) {
        const answer = await api.call('POST', BASE, { token: own, body: webhookBody({ name }) });
        expect(answer.status).toBe(409);
        expect(answer.body.code).toBe('WEBHOOK_NAME_TAKEN');
        const renamed = await api.call('PATCH', `${BASE}/${other.id}`, { token: own, body: { name } });
        expect(renamed.body.code).toBe('WEBHOOK_NAME_TAKEN');
      }
      // The webhook itself may change its own name's case.
      const self = await api.call('PATCH', `${BASE}/${created.body.id}`, {
        token: own,
        body: { name: 'CAFE\u0301 HR' },
      });
      expect(self.status).toBe(200);
      expect(self.body.name).toBe('CAF\u00c9 HR');
      await api.call('DELETE', `${BASE}/${created.body.id}`, { token: own });
    });

    it.each([
      ['a zero-width space', 'HR\u200bsync'],
      ['a right-to-left override', 'HR \u202ecnys'],
      ['a zero-width joiner', 'HR\u200dsync'],
      ['a byte order mark', '\ufeffHR sync'],
    ])('400 VALIDATION_FAILED for a name with %s', async (_label, name) => {
      const answer = await api.call('POST', BASE, { token, body: webhookBody({ name }) });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: 'name', code: 'NAME_INVISIBLE_CHARACTERS' }],
      });
    });
  });
});

describe('admin API: signing secret rotation keeps at most two live secrets (item 1)', () => {
  let api: AdminApiHarness;
  let listener: TestListener;
  let token: string;

  beforeAll(async () => {
    api = await startAdminApi('rotation', { ALLOW_PRIVATE_TARGETS: 'true', ALLOW_HTTP_TARGETS: 'true' });
    listener = await startListener(answerJson(200, '{"ok":true}'));
    token = api.tokenFor(ACCOUNT);
  });
  afterAll(async () => {
    await listener.close();
    await api.close();
  });

  it('a rotation during a rotation retires the older previous secret at once: two secrets sign, ever', async () => {
    const created = (
      await api.call('POST', BASE, {
        token,
        body: webhookBody({ targetUrl: listener.url, authentication: { type: 'SIGNATURE' } }),
      })
    ).body;
    const secrets = [(await api.call('GET', `${BASE}/${created.id}/signature`, { token })).body.secret];
    for (let i = 0; i < 20; i += 1) {
      const rotated = await api.call('POST', `${BASE}/${created.id}/signature/rotate`, { token });
      expect(rotated.status).toBe(200);
      expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now());
      secrets.push(rotated.body.secret);
    }
    const stored = await api.sql.query(
      `SELECT expires_at FROM webhook_secrets WHERE webhook_id = $1 ORDER BY created_at`,
      [created.id],
    );
    expect(stored.rows.map((row: { expires_at: Date | null }) => row.expires_at === null)).toEqual([
      false,
      true,
    ]);

    const answer = await api.call('POST', `${BASE}/${created.id}/test`, { token });
    expect(answer.body).toMatchObject({ delivered: true });
    const request = listener.requests[0];
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const verifies = (secret: string) => {
      try {
        new StandardWebhook(secret).verify(request.body, request.headers as Record<string, string>);
        return true;
      } catch {
        return false;
      }
    };
    // Only the newest and the one it replaced; every earlier secret stopped signing when it was replaced.
    expect(secrets.map(verifies)).toEqual([...Array<boolean>(19).fill(false), true, true]);

    const download = (await api.call('GET', `${BASE}/${created.id}/signature`, { token })).body;
    expect(download.secret).toBe(secrets[20]);
  });
});
