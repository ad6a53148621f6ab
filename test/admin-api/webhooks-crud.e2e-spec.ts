import { insertAttemptRow, insertDeliveryRow, insertEventRow, insertLaneItemRows } from '@lms/testing';
import { OPEN_DELIVERY_STATUSES_SQL } from '@lms/webhook-domain';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { PUBLIC_TARGET, webhookBody } from './support/webhook-factory';

const BASE = '/api/v1/webhooks';

describe('admin API: webhook management', () => {
  let api: AdminApiHarness;
  let accountSeq = 5000;
  /** Each test gets an account of its own, so limits and names never interfere. */
  const newAccount = () => {
    const accountId = ++accountSeq;
    return { accountId, token: api.tokenFor(accountId, { sub: `alice-${accountId}` }) };
  };

  beforeAll(async () => {
    api = await startAdminApi('webhooks');
  });
  afterAll(async () => {
    await api.close();
  });

  describe('POST /webhooks', () => {
    it('creates an inactive webhook by default and answers 201 with it', async () => {
      const { token } = newAccount();
      const body = webhookBody({ name: 'HR sync' });
      const answer = await api.call('POST', BASE, { token, body });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'HR sync',
        description: body.description,
        targetUrl: PUBLIC_TARGET,
        authentication: { type: 'NONE' },
        events: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'],
        active: false,
        status: 'INACTIVE',
        disabledReason: null,
        rateLimitPerSecond: null,
        maxInFlight: 1,
        maxEventsPerRequest: 100,
        traceContextHeaders: true,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const row = await api.sql.query(
        'SELECT max_in_flight, max_events_per_request FROM webhooks WHERE id = $1',
        [answer.body.id],
      );
      expect(row.rows[0]).toEqual({ max_in_flight: 1, max_events_per_request: 100 });
    });

    it('takes traceContextHeaders (on unless false), stores it, and a PATCH turns it back on', async () => {
      const { token } = newAccount();
      const created = await api.call('POST', BASE, {
        token,
        body: webhookBody({ traceContextHeaders: false }),
      });
      expect(created.status).toBe(201);
      expect(created.body.traceContextHeaders).toBe(false);
      const stored = () =>
        api.sql.query('SELECT trace_context_headers FROM webhooks WHERE id = $1', [created.body.id]);
      expect((await stored()).rows[0]).toEqual({ trace_context_headers: false });
      const patched = await api.call('PATCH', `${BASE}/${created.body.id}`, {
        token,
        body: { traceContextHeaders: true },
      });
      expect(patched.status).toBe(200);
      expect(patched.body.traceContextHeaders).toBe(true);
      expect((await stored()).rows[0]).toEqual({ trace_context_headers: true });
      for (const refused of ['no', null]) {
        const answer = await api.call('PATCH', `${BASE}/${created.body.id}`, {
          token,
          body: { traceContextHeaders: refused },
        });
        expect(answer.status).toBe(400);
        expect(answer.body.details).toEqual([expect.objectContaining({ field: 'traceContextHeaders' })]);
      }
    });

    it('takes maxInFlight and maxEventsPerRequest, stores them and shows them on read', async () => {
      const { token } = newAccount();
      const created = await api.call('POST', BASE, {
        token,
        body: webhookBody({ maxInFlight: 50, maxEventsPerRequest: 1 }),
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ maxInFlight: 50, maxEventsPerRequest: 1 });
      const read = await api.call('GET', `${BASE}/${created.body.id}`, { token });
      expect(read.body).toMatchObject({ maxInFlight: 50, maxEventsPerRequest: 1 });
      const row = await api.sql.query(
        'SELECT max_in_flight, max_events_per_request FROM webhooks WHERE id = $1',
        [created.body.id],
      );
      expect(row.rows[0]).toEqual({ max_in_flight: 50, max_events_per_request: 1 });
    });

    it.each([
      ['maxInFlight', 0],
      ['maxInFlight', 51],
      ['maxInFlight', 1.5],
      ['maxInFlight', '3'],
      ['maxInFlight', null],
      ['maxEventsPerRequest', 0],
      ['maxEventsPerRequest', 1001],
      ['maxEventsPerRequest', 1.5],
      ['maxEventsPerRequest', '3'],
      ['maxEventsPerRequest', null],
    ])('400 VALIDATION_FAILED for %s %p on create and on update, naming the field', async (field, value) => {
      const { accountId, token } = newAccount();
      const created = await api.call('POST', BASE, { token, body: webhookBody({ [field]: value }) });
      expect(created.status).toBe(400);
      expect(created.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsNamed(created.body)).toEqual([field]);
      expect(
        (await api.sql.query('SELECT count(*)::int AS n FROM webhooks WHERE account_id = $1', [accountId]))
          .rows[0].n,
      ).toBe(0);

      const saved = (await api.call('POST', BASE, { token, body: webhookBody() })).body;
      const patched = await api.call('PATCH', `${BASE}/${saved.id}`, { token, body: { [field]: value } });
      expect(patched.status).toBe(400);
      expect(patched.body.code).toBe('VALIDATION_FAILED');
      expect(fieldsNamed(patched.body)).toEqual([field]);
      expect((await api.call('GET', `${BASE}/${saved.id}`, { token })).body).toMatchObject({
        maxInFlight: 1,
        maxEventsPerRequest: 100,
      });
    });

    it('creates an active webhook when asked', async () => {
      const { token } = newAccount();
      const answer = await api.call('POST', BASE, { token, body: webhookBody({ active: true }) });
      expect(answer.body).toMatchObject({ active: true, status: 'ACTIVE' });
    });

    it('409 WEBHOOK_NAME_TAKEN for a second webhook of the same name in the account, not in another account', async () => {
      const a = newAccount();
      const b = newAccount();
      expect(
        (await api.call('POST', BASE, { token: a.token, body: webhookBody({ name: 'Same' }) })).status,
      ).toBe(201);
      const again = await api.call('POST', BASE, { token: a.token, body: webhookBody({ name: 'Same' }) });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({
        code: 'WEBHOOK_NAME_TAKEN',
        details: [{ field: 'name', message: expect.any(String) }],
      });
      expect(
        (await api.call('POST', BASE, { token: b.token, body: webhookBody({ name: 'Same' }) })).status,
      ).toBe(201);
    });

    it('409 WEBHOOK_LIMIT_REACHED for the 6th webhook; deleting one frees a slot', async () => {
      const { token } = newAccount();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const created = await api.call('POST', BASE, { token, body: webhookBody() });
        expect(created.status).toBe(201);
        ids.push(created.body.id);
      }
      const sixth = await api.call('POST', BASE, { token, body: webhookBody() });
      expect(sixth.status).toBe(409);
      expect(sixth.body.code).toBe('WEBHOOK_LIMIT_REACHED');
      expect((await api.call('DELETE', `${BASE}/${ids[0]}`, { token })).status).toBe(204);
      expect((await api.call('POST', BASE, { token, body: webhookBody() })).status).toBe(201);
    });

    it('holds the limit under 10 concurrent creates: exactly 5 created, 5 refused', async () => {
      const { accountId, token } = newAccount();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => api.call('POST', BASE, { token, body: webhookBody() })),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, 201, 201, 201, 201, 409, 409, 409, 409, 409]);
      expect(
        answers
          .filter((answer) => answer.status === 409)
          .every((answer) => answer.body.code === 'WEBHOOK_LIMIT_REACHED'),
      ).toBe(true);
      const rows = await api.sql.query(
        'SELECT count(*)::int AS n FROM webhooks WHERE account_id = $1 AND deleted_at IS NULL',
        [accountId],
      );
      expect(rows.rows[0].n).toBe(5);
    });

    it('422 UNKNOWN_EVENT_TYPE naming the unknown event', async () => {
      const { token } = newAccount();
      const answer = await api.call('POST', BASE, {
        token,
        body: webhookBody({ events: ['COURSE_ENROLLMENT', 'NOT_AN_EVENT'] }),
      });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatchObject({
        code: 'UNKNOWN_EVENT_TYPE',
        details: [{ field: 'events[1]', message: expect.stringContaining('NOT_AN_EVENT') }],
      });
      expect(answer.body.message).toContain('NOT_AN_EVENT');
    });

    it.each([
      ['duplicate events', { events: ['COURSE_ENROLLMENT', 'COURSE_ENROLLMENT'] }, 'events'],
      ['no events', { events: [] }, 'events'],
      ['a name of 101 characters', { name: 'n'.repeat(101) }, 'name'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a description of 501 characters', { description: 'd'.repeat(501) }, 'description'],
      ['a relative URL', { targetUrl: '/hooks' }, 'targetUrl'],
      ['an ftp URL', { targetUrl: 'ftp://93.184.215.14/x' }, 'targetUrl'],
      ['credentials in the URL', { targetUrl: 'https://user:pw@93.184.215.14/x' }, 'targetUrl'],
      ['a URL over 2048 characters', { targetUrl: `https://93.184.215.14/${'a'.repeat(2040)}` }, 'targetUrl'],
      ['an unknown authentication type', { authentication: { type: 'OAUTH' } }, 'authentication.type'],
      [
        'BASIC without a username',
        { authentication: { type: 'BASIC', password: 'pw' } },
        'authentication.username',
      ],
      [
        'BASIC without a password',
        { authentication: { type: 'BASIC', username: 'u' } },
        'authentication.password',
      ],
      [
        'a password with NONE',
        { authentication: { type: 'NONE', password: 'pw' } },
        'authentication.password',
      ],
      ['an unknown field', { colour: 'blue' }, 'colour'],
      [
        'an unknown nested field',
        { authentication: { type: 'SIGNATURE', secret: 'mine' } },
        'authentication.secret',
      ],
      ['active as a string', { active: 'true' }, 'active'],
    ])('400 VALIDATION_FAILED for %s, naming the field', async (_label, overrides, field) => {
      const { token } = newAccount();
      const answer = await api.call('POST', BASE, { token, body: webhookBody(overrides) });
      expect(answer.status).toBe(400);
      expect(answer.body.code).toBe('VALIDATION_FAILED');
      expect(answer.body.details.map((detail: { field: string }) => detail.field)).toContain(field);
    });

    it.each([
      [
        'a relative URL',
        { targetUrl: '/hooks' },
        'TARGET_URL_NOT_ALLOWED',
        { reason: 'NOT_AN_ABSOLUTE_URL' },
      ],
      [
        'an ftp URL',
        { targetUrl: 'ftp://93.184.215.14/x' },
        'TARGET_URL_NOT_ALLOWED',
        { reason: 'SCHEME_NOT_HTTP' },
      ],
      [
        'credentials in the URL',
        { targetUrl: 'https://user:pw@93.184.215.14/x' },
        'TARGET_URL_NOT_ALLOWED',
        { reason: 'CREDENTIALS_IN_URL' },
      ],
      [
        'BASIC without a password',
        { authentication: { type: 'BASIC', username: 'u' } },
        'PASSWORD_REQUIRED_FOR_BASIC',
        undefined,
      ],
      ['a rate limit of 0', { rateLimitPerSecond: 0 }, 'TOO_SMALL', { min: 1 }],
    ])("400 for %s names the domain rule's code and params", async (_label, overrides, code, params) => {
      const { token } = newAccount();
      const answer = await api.call('POST', BASE, { token, body: webhookBody(overrides) });
      expect(answer.status).toBe(400);
      expect(answer.body.details).toEqual([
        { field: expect.any(String), code, message: expect.any(String), ...(params && { params }) },
      ]);
    });

    it('422 TARGET_NOT_ALLOWED for http and for hosts that are private, loopback, link-local or metadata', async () => {
      const { token } = newAccount();
      for (const targetUrl of [
        'http://93.184.215.14/hooks',
        'https://127.0.0.1/hooks',
        'https://localhost:8443/hooks',
        'https://10.1.2.3/hooks',
        'https://192.168.1.10/hooks',
        'https://169.254.169.254/latest/meta-data',
        'https://[::1]/hooks',
        'https://[::ffff:10.0.0.1]/hooks',
        'https://0x7f.1/hooks',
      ]) {
        const answer = await api.call('POST', BASE, { token, body: webhookBody({ targetUrl }) });
        expect({
          targetUrl,
          status: answer.status,
          code: answer.body.code,
          field: answer.body.details?.[0]?.field,
          detailCode: answer.body.details?.[0]?.code,
          reason: answer.body.details?.[0]?.params?.reason,
        }).toEqual({
          targetUrl,
          status: 422,
          code: 'TARGET_NOT_ALLOWED',
          field: 'targetUrl',
          detailCode: 'TARGET_URL_NOT_ALLOWED',
          reason: targetUrl.startsWith('http:') ? 'HTTP_NOT_ALLOWED' : 'NON_PUBLIC_ADDRESS',
        });
      }
    });

    it('400 MALFORMED_JSON for a body that is not JSON', async () => {
      const { token } = newAccount();
      const answer = await api.call('POST', BASE, { token, rawBody: '{"name": "x",' });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400, code: 'MALFORMED_JSON' });
    });

    it('413 PAYLOAD_TOO_LARGE above 256 KiB', async () => {
      const { token } = newAccount();
      const answer = await api.call('POST', BASE, {
        token,
        body: webhookBody({ description: 'x'.repeat(300 * 1024) }),
      });
      expect(answer.status).toBe(413);
      expect(answer.body.code).toBe('PAYLOAD_TOO_LARGE');
    });
  });

  describe('reads, tenancy and secrets', () => {
    it("GET /webhooks lists only the caller account's webhooks; GET /webhooks/:id of another account is 404", async () => {
      const a = newAccount();
      const b = newAccount();
      const mine = (await api.call('POST', BASE, { token: a.token, body: webhookBody({ name: 'A1' }) })).body;
      await api.call('POST', BASE, { token: b.token, body: webhookBody({ name: 'B1' }) });
      const list = await api.call('GET', BASE, { token: a.token });
      expect(list.status).toBe(200);
      expect(list.body.map((webhook: { name: string }) => webhook.name)).toEqual(['A1']);
      expect((await api.call('GET', `${BASE}/${mine.id}`, { token: a.token })).body).toEqual({
        ...mine,
        lanes: [idleLane('REALTIME'), idleLane('BATCH')],
      });
      // The list carries each webhook's lane health, so the console needs one request, and the
      // account's webhook limit (MAX_WEBHOOKS_PER_ACCOUNT, 5 by default).
      expect(list.body[0]).toEqual({ ...mine, lanes: [idleLane('REALTIME'), idleLane('BATCH')] });
      expect(list.headers.get('x-webhook-limit')).toBe('5');

      for (const [method, path, body] of [
        ['GET', `${BASE}/${mine.id}`, undefined],
        ['PATCH', `${BASE}/${mine.id}`, { name: 'stolen' }],
        ['DELETE', `${BASE}/${mine.id}`, undefined],
        ['GET', `${BASE}/${mine.id}/signature`, undefined],
        ['POST', `${BASE}/${mine.id}/signature/rotate`, undefined],
        ['GET', `${BASE}/${mine.id}/audit`, undefined],
        ['GET', `${BASE}/${mine.id}/deliveries`, undefined],
        ['POST', `${BASE}/${mine.id}/replay`, { from: 0, to: 1 }],
        ['POST', `${BASE}/${mine.id}/test`, {}],
      ] as const) {
        const answer = await api.call(method, path, { token: b.token, body });
        expect({ method, path, status: answer.status, code: answer.body?.code }).toEqual({
          method,
          path,
          status: 404,
          code: 'WEBHOOK_NOT_FOUND',
        });
      }
      const untouched = await api.call('GET', `${BASE}/${mine.id}`, { token: a.token });
      expect(untouched.body.name).toBe('A1');
    });

    it('400 for an id that is not a UUID, 404 WEBHOOK_NOT_FOUND for an unknown one', async () => {
      const { token } = newAccount();
      const bad = await api.call('GET', `${BASE}/not-a-uuid`, { token });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'id' }] });
      const unknown = await api.call('GET', `${BASE}/6f1b7c1e-9a2b-4c3d-8e4f-5a6b7c8d9e0f`, { token });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('WEBHOOK_NOT_FOUND');
    });

    it('stores the Basic password encrypted and never returns it', async () => {
      const { token } = newAccount();
      const password = 'plaintext-password-4b1d';
      const created = await api.call('POST', BASE, {
        token,
        body: webhookBody({ authentication: { type: 'BASIC', username: 'lms', password } }),
      });
      expect(created.status).toBe(201);
      expect(created.body.authentication).toEqual({ type: 'BASIC', username: 'lms' });
      expect(created.text).not.toContain(password);
      expect((await api.call('GET', `${BASE}/${created.body.id}`, { token })).text).not.toContain(password);
      expect((await api.call('GET', BASE, { token })).text).not.toContain(password);

      const raw = await api.sql.query(
        'SELECT row_to_json(w)::text AS row, basic_password_enc FROM webhooks w WHERE id = $1',
        [created.body.id],
      );
      expect(raw.rows[0].row).not.toContain(password);
      expect(raw.rows[0].basic_password_enc).toMatch(/^v2:/);
    });

    it('stores the signing secret encrypted; only the signature download shows it', async () => {
      const { token } = newAccount();
      const created = await api.call('POST', BASE, {
        token,
        body: webhookBody({ authentication: { type: 'SIGNATURE' } }),
      });
      expect(created.status).toBe(201);
      expect(created.body.authentication).toEqual({ type: 'SIGNATURE' });

      const download = await api.call('GET', `${BASE}/${created.body.id}/signature`, { token });
      expect(download.status).toBe(200);
      expect(download.headers.get('content-disposition')).toMatch(
        /^attachment; filename="webhook-.*\.json"$/,
      );
      expect(download.body).toEqual({
        webhookId: created.body.id,
        scheme: 'standard-webhooks',
        algorithm: 'HMAC-SHA256',
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]+$/),
        headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
        createdAt: expect.any(String),
        previousSecretExpiresAt: null,
      });
      const secret: string = download.body.secret;
      const rows = await api.sql.query(`SELECT s.secret_enc FROM webhook_secrets s WHERE s.webhook_id = $1`, [
        created.body.id,
      ]);
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0].secret_enc).not.toContain(secret.slice(6));
      expect(rows.rows[0].secret_enc).toMatch(/^v2:/);
      expect((await api.call('GET', `${BASE}/${created.body.id}`, { token })).text).not.toContain(
        secret.slice(6),
      );
      expect((await api.call('GET', `${BASE}/${created.body.id}/audit`, { token })).text).not.toContain(
        secret.slice(6),
      );
    });

    it('GET /webhooks/:id/signature is 409 NOT_A_SIGNATURE_WEBHOOK for NONE and BASIC webhooks', async () => {
      const { token } = newAccount();
      const created = await api.call('POST', BASE, { token, body: webhookBody() });
      const answer = await api.call('GET', `${BASE}/${created.body.id}/signature`, { token });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('NOT_A_SIGNATURE_WEBHOOK');
      expect(
        (await api.call('POST', `${BASE}/${created.body.id}/signature/rotate`, { token })).body.code,
      ).toBe('NOT_A_SIGNATURE_WEBHOOK');
    });

    it('rotates the secret: the new one is downloaded, the old one keeps signing for the overlap', async () => {
      const { token } = newAccount();
      const created = await api.call('POST', BASE, {
        token,
        body: webhookBody({ authentication: { type: 'SIGNATURE' } }),
      });
      const before = (await api.call('GET', `${BASE}/${created.body.id}/signature`, { token })).body.secret;
      const rotated = await api.call('POST', `${BASE}/${created.body.id}/signature/rotate`, { token });
      expect(rotated.status).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(before);
      const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
      expect(expiresAt - Date.now()).toBeGreaterThan(23 * 3600_000);
      expect(expiresAt - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

      const after = await api.call('GET', `${BASE}/${created.body.id}/signature`, { token });
      expect(after.body.secret).toBe(rotated.body.secret);
      const secrets = await api.sql.query(
        `SELECT expires_at FROM webhook_secrets WHERE webhook_id = $1 ORDER BY created_at`,
        [created.body.id],
      );
      expect(secrets.rows).toHaveLength(2);
      expect(secrets.rows[0].expires_at).not.toBeNull();
      expect(secrets.rows[1].expires_at).toBeNull();
    });
  });

  describe('PATCH and DELETE', () => {
    it('updates any subset of fields with the same validation', async () => {
      const { token } = newAccount();
      const created = (await api.call('POST', BASE, { token, body: webhookBody({ name: 'Before' }) })).body;
      const patched = await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { name: 'After', description: null, events: ['LEARNER_PROGRESS'], rateLimitPerSecond: 20 },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({
        id: created.id,
        name: 'After',
        description: null,
        events: ['LEARNER_PROGRESS'],
        rateLimitPerSecond: 20,
        targetUrl: PUBLIC_TARGET,
        maxInFlight: 1,
        maxEventsPerRequest: 100,
      });
      const lanePatch = await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { maxInFlight: 5, maxEventsPerRequest: 1000 },
      });
      expect(lanePatch.status).toBe(200);
      expect(lanePatch.body).toMatchObject({ name: 'After', maxInFlight: 5, maxEventsPerRequest: 1000 });
      expect((await api.call('GET', `${BASE}/${created.id}`, { token })).body).toMatchObject({
        maxInFlight: 5,
        maxEventsPerRequest: 1000,
      });
      const audit = (await api.call('GET', `${BASE}/${created.id}/audit`, { token })).body;
      expect(audit[0]).toMatchObject({
        action: 'UPDATED',
        details: { changed: ['maxInFlight', 'maxEventsPerRequest'] },
      });
      expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));

      const bad = await api.call('PATCH', `${BASE}/${created.id}`, { token, body: { events: ['NOPE'] } });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('UNKNOWN_EVENT_TYPE');
      const private_ = await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { targetUrl: 'https://10.0.0.8/x' },
      });
      expect(private_.body.code).toBe('TARGET_NOT_ALLOWED');
      const unknownField = await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { status: 'ACTIVE' },
      });
      expect(unknownField.status).toBe(400);
      expect(unknownField.body.details[0].field).toBe('status');
    });

    it('renaming to a name taken in the account is 409 WEBHOOK_NAME_TAKEN', async () => {
      const { token } = newAccount();
      await api.call('POST', BASE, { token, body: webhookBody({ name: 'First' }) });
      const second = (await api.call('POST', BASE, { token, body: webhookBody({ name: 'Second' }) })).body;
      const answer = await api.call('PATCH', `${BASE}/${second.id}`, { token, body: { name: 'First' } });
      expect(answer.status).toBe(409);
      expect(answer.body.code).toBe('WEBHOOK_NAME_TAKEN');
    });

    it('switching to SIGNATURE generates a secret, switching away discards it; BASIC keeps its password when omitted', async () => {
      const { token } = newAccount();
      const created = (await api.call('POST', BASE, { token, body: webhookBody() })).body;
      const secretsOf = async () =>
        (
          await api.sql.query('SELECT count(*)::int AS n FROM webhook_secrets WHERE webhook_id = $1', [
            created.id,
          ])
        ).rows[0].n;

      expect(
        (
          await api.call('PATCH', `${BASE}/${created.id}`, {
            token,
            body: { authentication: { type: 'SIGNATURE' } },
          })
        ).body.authentication,
      ).toEqual({ type: 'SIGNATURE' });
      expect(await secretsOf()).toBe(1);
      expect((await api.call('GET', `${BASE}/${created.id}/signature`, { token })).status).toBe(200);

      const needsPassword = await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { authentication: { type: 'BASIC', username: 'u' } },
      });
      expect(needsPassword.status).toBe(400);
      expect(needsPassword.body.details[0].field).toBe('authentication.password');

      const basic = await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { authentication: { type: 'BASIC', username: 'u', password: 'first-pw' } },
      });
      expect(basic.body.authentication).toEqual({ type: 'BASIC', username: 'u' });
      expect(await secretsOf()).toBe(0);
      const encBefore = (
        await api.sql.query('SELECT basic_password_enc FROM webhooks WHERE id = $1', [created.id])
      ).rows[0].basic_password_enc;
      await api.call('PATCH', `${BASE}/${created.id}`, {
        token,
        body: { authentication: { type: 'BASIC', username: 'renamed' } },
      });
      const row = (
        await api.sql.query('SELECT basic_username, basic_password_enc FROM webhooks WHERE id = $1', [
          created.id,
        ])
      ).rows[0];
      expect(row).toEqual({ basic_username: 'renamed', basic_password_enc: encBefore });

      await api.call('PATCH', `${BASE}/${created.id}`, { token, body: { authentication: { type: 'NONE' } } });
      const cleared = (
        await api.sql.query(
          'SELECT auth_type, basic_username, basic_password_enc FROM webhooks WHERE id = $1',
          [created.id],
        )
      ).rows[0];
      expect(cleared).toEqual({ auth_type: 'NONE', basic_username: null, basic_password_enc: null });
    });

    it("active:false retires: cancels open deliveries (saying who) and drops the lanes' waiting items (lanes idle); active:true re-activates a DISABLED webhook", async () => {
      const { accountId, token } = newAccount();
      const created = (
        await api.call('POST', BASE, {
          token,
          body: webhookBody({ active: true, events: ['COURSE_ENROLLMENT', 'LEARNER_PROGRESS'] }),
        })
      ).body;
      await seedOpenWork(api, accountId, created.id);

      const retired = await api.call('PATCH', `${BASE}/${created.id}`, { token, body: { active: false } });
      expect(retired.body).toMatchObject({ active: false, status: 'INACTIVE' });
      const deliveries = await api.sql.query(
        'SELECT status, cancelled_by FROM deliveries WHERE webhook_id = $1 ORDER BY status',
        [created.id],
      );
      expect(deliveries.rows).toEqual([
        { status: 'CANCELLED', cancelled_by: `admin:alice-${accountId}` },
        { status: 'CANCELLED', cancelled_by: `admin:alice-${accountId}` },
        { status: 'SUCCEEDED', cancelled_by: null },
      ]);
      await expectLanesEmptyAndIdle(api, created.id);

      await api.sql.query(
        `UPDATE webhooks SET status = 'DISABLED', disabled_reason = 'failing for 7 days', failing_since = now() WHERE id = $1`,
        [created.id],
      );
      const reactivated = await api.call('PATCH', `${BASE}/${created.id}`, { token, body: { active: true } });
      expect(reactivated.body).toMatchObject({ active: true, status: 'ACTIVE', disabledReason: null });
      const row = (await api.sql.query('SELECT failing_since FROM webhooks WHERE id = $1', [created.id]))
        .rows[0];
      expect(row.failing_since).toBeNull();
    });

    it('DELETE answers 204, cancels open work, and the webhook is 404 everywhere afterwards', async () => {
      const { accountId, token } = newAccount();
      const created = (
        await api.call('POST', BASE, {
          token,
          body: webhookBody({
            active: true,
            authentication: { type: 'SIGNATURE' },
            events: ['COURSE_ENROLLMENT', 'LEARNER_PROGRESS'],
          }),
        })
      ).body;
      await seedOpenWork(api, accountId, created.id);
      const deleted = await api.call('DELETE', `${BASE}/${created.id}`, { token });
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');

      const open = await api.sql.query(
        `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1 AND status IN ${OPEN_DELIVERY_STATUSES_SQL}`,
        [created.id],
      );
      expect(open.rows[0].n).toBe(0);
      await expectLanesEmptyAndIdle(api, created.id);
      expect(
        (
          await api.sql.query('SELECT count(*)::int AS n FROM webhook_secrets WHERE webhook_id = $1', [
            created.id,
          ])
        ).rows[0].n,
      ).toBe(0);

      for (const [method, path] of [
        ['GET', `${BASE}/${created.id}`],
        ['PATCH', `${BASE}/${created.id}`],
        ['DELETE', `${BASE}/${created.id}`],
        ['GET', `${BASE}/${created.id}/signature`],
        ['GET', `${BASE}/${created.id}/audit`],
        ['GET', `${BASE}/${created.id}/deliveries`],
      ] as const) {
        const answer = await api.call(method, path, {
          token,
          body: method === 'PATCH' ? { name: 'x' } : undefined,
        });
        expect({ path, method, status: answer.status }).toEqual({ path, method, status: 404 });
      }
      expect((await api.call('GET', BASE, { token })).body).toEqual([]);
      // The name is free again.
      expect(
        (await api.call('POST', BASE, { token, body: webhookBody({ name: created.name }) })).status,
      ).toBe(201);
    });
  });

  describe('GET /webhooks/:id lanes', () => {
    it('shows what waits in each lane, the open requests, and since when a failing head blocks the lane', async () => {
      const { accountId, token } = newAccount();
      const created = (
        await api.call('POST', BASE, {
          token,
          body: webhookBody({
            active: true,
            maxInFlight: 2,
            events: ['COURSE_ENROLLMENT', 'LEARNER_PROGRESS'],
          }),
        })
      ).body;
      const webhookId = created.id;
      const event = (row: { realtime?: boolean } = {}) =>
        insertEventRow(api.sql, {
          accountId,
          eventName: row.realtime === false ? 'LEARNER_PROGRESS' : 'COURSE_ENROLLMENT',
          ...row,
        });
      const now = Date.now();

      // REALTIME: a finished request, then the failing head, a request behind it, and 3 waiting events.
      const done = await insertDeliveryRow(api.sql, {
        webhookId,
        accountId,
        eventPks: [await event()],
        createdAt: new Date(now - 600_000).toISOString(),
      });
      await insertAttemptRow(api.sql, { deliveryId: done, attemptNumber: 1, statusCode: 200 });
      const failing = await insertDeliveryRow(api.sql, {
        webhookId,
        accountId,
        eventPks: [await event()],
        status: 'RETRYING',
        createdAt: new Date(now - 300_000).toISOString(),
      });
      const firstFailure = new Date(now - 240_000);
      const nextAttemptAt = new Date(now + 30_000);
      await insertAttemptRow(api.sql, { deliveryId: failing, attemptNumber: 1, statusCode: 503 });
      await insertAttemptRow(api.sql, {
        deliveryId: failing,
        attemptNumber: 2,
        error: 'timeout after 10000 ms',
      });
      await api.sql.query(
        `UPDATE delivery_attempts SET started_at = $2::timestamptz + (attempt_number - 1) * interval '1 minute'
          WHERE delivery_id = $1`,
        [failing, firstFailure.toISOString()],
      );
      await api.sql.query('UPDATE deliveries SET attempt_count = 2, next_attempt_at = $2 WHERE id = $1', [
        failing,
        nextAttemptAt.toISOString(),
      ]);
      const behind = await insertDeliveryRow(api.sql, {
        webhookId,
        accountId,
        eventPks: [await event()],
        status: 'PENDING',
        createdAt: new Date(now - 200_000).toISOString(),
      });
      const waiting = [await event(), await event(), await event()];
      await insertLaneItemRows(api.sql, {
        webhookId,
        accountId,
        kind: 'REALTIME',
        eventPks: waiting,
        createdAt: new Date(now - 5_000).toISOString(),
      });
      // BATCH: two events held for the release.
      await insertLaneItemRows(api.sql, {
        webhookId,
        accountId,
        kind: 'BATCH',
        eventPks: [await event({ realtime: false }), await event({ realtime: false })],
      });

      const answer = await api.call('GET', `${BASE}/${webhookId}`, { token });
      expect(answer.status).toBe(200);
      const behindRow = (
        await api.sql.query('SELECT next_attempt_at FROM deliveries WHERE id = $1', [behind])
      ).rows[0];
      expect(answer.body.lanes).toEqual([
        {
          kind: 'REALTIME',
          pendingEvents: 3,
          heldEvents: 0,
          oldestPendingAgeMs: expect.any(Number),
          inFlight: [
            {
              deliveryId: failing,
              status: 'RETRYING',
              eventCount: 1,
              attemptCount: 2,
              nextAttemptAt: nextAttemptAt.toISOString(),
            },
            {
              deliveryId: behind,
              status: 'PENDING',
              eventCount: 1,
              attemptCount: 0,
              nextAttemptAt: behindRow.next_attempt_at.toISOString(),
            },
          ],
          blockedSince: firstFailure.toISOString(),
        },
        {
          kind: 'BATCH',
          pendingEvents: 0,
          heldEvents: 2,
          oldestPendingAgeMs: null,
          inFlight: [],
          blockedSince: null,
        },
      ]);
      expect(answer.body.lanes[0].oldestPendingAgeMs).toBeGreaterThanOrEqual(5_000);
      expect(answer.body.lanes[0].oldestPendingAgeMs).toBeLessThan(5_000 + 60_000);

      // The head succeeds: the lane is no longer blocked (the request behind it never failed).
      await api.sql.query(`UPDATE deliveries SET status = 'SUCCEEDED' WHERE id = $1`, [failing]);
      const unblocked = (await api.call('GET', `${BASE}/${webhookId}`, { token })).body.lanes[0];
      expect(unblocked).toMatchObject({ pendingEvents: 3, blockedSince: null });
      expect(unblocked.inFlight.map((request: { deliveryId: string }) => request.deliveryId)).toEqual([
        behind,
      ]);

      // Retiring drops the waiting events and cancels the open request: both lanes show nothing.
      await api.call('PATCH', `${BASE}/${webhookId}`, { token, body: { active: false } });
      expect((await api.call('GET', `${BASE}/${webhookId}`, { token })).body.lanes).toEqual([
        idleLane('REALTIME'),
        idleLane('BATCH'),
      ]);
    });
  });

  describe('GET /webhooks/:id/audit', () => {
    it('records created, updated, activated, rotated and retired with the admin sub, newest first', async () => {
      const { accountId, token } = newAccount();
      const created = (
        await api.call('POST', BASE, { token, body: webhookBody({ authentication: { type: 'SIGNATURE' } }) })
      ).body;
      await api.call('PATCH', `${BASE}/${created.id}`, { token, body: { description: 'changed' } });
      await api.call('PATCH', `${BASE}/${created.id}`, { token, body: { active: true } });
      await api.call('POST', `${BASE}/${created.id}/signature/rotate`, { token });
      await api.call('PATCH', `${BASE}/${created.id}`, {
        token: api.tokenFor(accountId, { sub: 'bob' }),
        body: { active: false },
      });

      const audit = await api.call('GET', `${BASE}/${created.id}/audit`, { token });
      expect(audit.status).toBe(200);
      expect(
        audit.body.map((entry: { action: string; actor: string }) => [entry.action, entry.actor]),
      ).toEqual([
        ['RETIRED', 'bob'],
        ['SECRET_ROTATED', `alice-${accountId}`],
        ['ACTIVATED', `alice-${accountId}`],
        ['UPDATED', `alice-${accountId}`],
        ['CREATED', `alice-${accountId}`],
      ]);
      expect(audit.body[3].details).toEqual({ changed: ['description'] });
      expect(audit.body.every((entry: { at: string }) => !Number.isNaN(Date.parse(entry.at)))).toBe(true);
    });

    it('keeps the DELETED entry in the log (read from the table: the webhook itself is gone from the API)', async () => {
      const { accountId, token } = newAccount();
      const created = (await api.call('POST', BASE, { token, body: webhookBody() })).body;
      await api.call('DELETE', `${BASE}/${created.id}`, { token });
      const rows = await api.sql.query(
        'SELECT action, actor FROM audit_log WHERE webhook_id = $1 ORDER BY id',
        [created.id],
      );
      expect(rows.rows).toEqual([
        { action: 'CREATED', actor: `alice-${accountId}` },
        { action: 'DELETED', actor: `alice-${accountId}` },
      ]);
    });
  });
});

/** Two open deliveries, one finished, and items waiting in both lanes, for the given webhook. */
async function seedOpenWork(api: AdminApiHarness, accountId: number, webhookId: string): Promise<void> {
  await api.sql.query(
    `INSERT INTO deliveries (id, webhook_id, account_id, kind, status)
     VALUES (gen_random_uuid(), $1, $2, 'REALTIME', 'PENDING'), (gen_random_uuid(), $1, $2, 'REALTIME', 'RETRYING'),
            (gen_random_uuid(), $1, $2, 'REALTIME', 'SUCCEEDED')`,
    [webhookId, accountId],
  );
  const held = await insertEventRow(api.sql, { accountId, eventName: 'LEARNER_PROGRESS', realtime: false });
  await insertLaneItemRows(api.sql, { webhookId, accountId, kind: 'BATCH', eventPks: [held] });
  const waiting = await insertEventRow(api.sql, { accountId });
  await insertLaneItemRows(api.sql, { webhookId, accountId, kind: 'REALTIME', eventPks: [waiting] });
  const lanes = await api.sql.query(
    `SELECT (SELECT count(*)::int FROM lane_waiting_items WHERE webhook_id = $1) AS items,
            (SELECT count(*)::int FROM lanes WHERE webhook_id = $1 AND busy) AS busy`,
    [webhookId],
  );
  expect(lanes.rows[0]).toEqual({ items: 2, busy: 1 });
}

/** Retire and delete drop what waits in the webhook's lanes and leave them idle. */
async function expectLanesEmptyAndIdle(api: AdminApiHarness, webhookId: string): Promise<void> {
  const lanes = await api.sql.query(
    `SELECT (SELECT count(*)::int FROM lane_waiting_items WHERE webhook_id = $1) AS items,
            (SELECT count(*)::int FROM lanes WHERE webhook_id = $1 AND busy) AS busy`,
    [webhookId],
  );
  expect(lanes.rows[0]).toEqual({ items: 0, busy: 0 });
}

/** The fields a 400 names, each once (one detail per broken rule). */
function fieldsNamed(body: { details: Array<{ field: string }> }): string[] {
  return [...new Set(body.details.map((detail) => detail.field))];
}

function idleLane(kind: 'REALTIME' | 'BATCH') {
  return {
    kind,
    pendingEvents: 0,
    heldEvents: 0,
    oldestPendingAgeMs: null,
    inFlight: [],
    blockedSince: null,
  };
}
