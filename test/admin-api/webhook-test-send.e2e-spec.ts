import { Webhook as StandardWebhook } from 'standardwebhooks';
import { EVENT_CATALOGUE } from '@lms/payload-schemas';
import { answerJson, startListener, type TestListener } from '@lms/testing';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { webhookBody } from './support/webhook-factory';

const ACCOUNT = 4040;

describe('admin API: test-send through the dispatcher sender', () => {
  let api: AdminApiHarness;
  let listener: TestListener;
  let token: string;

  beforeAll(async () => {
    api = await startAdminApi('test_send', { ALLOW_PRIVATE_TARGETS: 'true', ALLOW_HTTP_TARGETS: 'true' });
    listener = await startListener(answerJson(200, '{"ok":true}'));
    token = api.tokenFor(ACCOUNT);
  });
  beforeEach(() => {
    listener.requests.length = 0;
    listener.behave(answerJson(200, '{"ok":true}'));
  });
  afterAll(async () => {
    await listener.close();
    await api.close();
  });

  const deliveryCount = async () =>
    (await api.sql.query('SELECT count(*)::int AS n FROM deliveries')).rows[0].n;

  it('POST /webhooks/test sends the catalogue example, signed with an ephemeral secret it returns, and stores nothing', async () => {
    const answer = await api.call('POST', '/api/v1/webhooks/test', {
      token,
      body: {
        targetUrl: listener.url,
        authentication: { type: 'SIGNATURE' },
        events: ['COURSE_COMPLETED', 'COURSE_ENROLLMENT'],
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      delivered: true,
      statusCode: 200,
      durationMs: expect.any(Number),
      responseBody: '{"ok":true}',
      error: null,
      eventName: 'COURSE_COMPLETED',
      messageId: expect.any(String),
      signingSecret: expect.stringMatching(/^whsec_/),
    });
    expect(listener.requests).toHaveLength(1);
    const request = listener.requests[0];
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['user-agent']).toMatch(/^lms-webhooks\//);
    expect(request.headers['webhook-id']).toBe(answer.body.messageId);
    const verified = new StandardWebhook(answer.body.signingSecret).verify(
      request.body,
      request.headers as Record<string, string>,
    );
    const example = EVENT_CATALOGUE.find((type) => type.name === 'COURSE_COMPLETED')!.example;
    expect(verified).toEqual({
      accountId: ACCOUNT,
      events: [
        {
          eventId: expect.any(String),
          eventName: 'COURSE_COMPLETED',
          timestamp: expect.any(Number),
          eventInfo: expect.any(String),
          data: example,
        },
      ],
    });
    expect(await deliveryCount()).toBe(0);
  });

  it('POST /webhooks/:id/test uses the saved Basic credentials and the chosen event, active or not', async () => {
    const created = await api.call('POST', '/api/v1/webhooks', {
      token,
      body: webhookBody({
        targetUrl: listener.url,
        authentication: { type: 'BASIC', username: 'lms', password: 'pa:ss wörd' },
        events: ['COURSE_ENROLLMENT', 'LEARNER_PROGRESS'],
      }),
    });
    expect(created.body.active).toBe(false);
    const answer = await api.call('POST', `/api/v1/webhooks/${created.body.id}/test`, {
      token,
      body: { eventName: 'LEARNER_PROGRESS' },
    });
    expect(answer.body).toMatchObject({ delivered: true, statusCode: 200, eventName: 'LEARNER_PROGRESS' });
    expect(answer.body.signingSecret).toBeUndefined();
    expect(listener.requests[0].headers.authorization).toBe(
      `Basic ${Buffer.from('lms:pa:ss wörd').toString('base64')}`,
    );
    expect(JSON.parse(listener.requests[0].body).events[0].eventName).toBe('LEARNER_PROGRESS');
    expect(await deliveryCount()).toBe(0);
  });

  it('signs a saved SIGNATURE webhook with every current secret: old and new both verify during a rotation', async () => {
    const created = (
      await api.call('POST', '/api/v1/webhooks', {
        token,
        body: webhookBody({ targetUrl: listener.url, authentication: { type: 'SIGNATURE' } }),
      })
    ).body;
    const oldSecret = (await api.call('GET', `/api/v1/webhooks/${created.id}/signature`, { token })).body
      .secret;
    const newSecret = (await api.call('POST', `/api/v1/webhooks/${created.id}/signature/rotate`, { token }))
      .body.secret;
    const answer = await api.call('POST', `/api/v1/webhooks/${created.id}/test`, { token });
    expect(answer.body).toMatchObject({ delivered: true, eventName: 'COURSE_ENROLLMENT' });
    const request = listener.requests[0];
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(() =>
        new StandardWebhook(secret).verify(request.body, request.headers as Record<string, string>),
      ).not.toThrow();
    }
  });

  it('reports a failing listener (status, first KiB of the body, error) without raising', async () => {
    listener.behave(answerJson(500, 'e'.repeat(5000)));
    const answer = await api.call('POST', '/api/v1/webhooks/test', {
      token,
      body: { targetUrl: listener.url, authentication: { type: 'NONE' }, events: ['COURSE_ENROLLMENT'] },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ delivered: false, statusCode: 500, error: 'HTTP 500' });
    expect(answer.body.responseBody).toHaveLength(1024);
  });

  it('reports an unreachable listener as not delivered with the connection error', async () => {
    const closed = await startListener(answerJson(200, '{"ok":true}'));
    await closed.close();
    const answer = await api.call('POST', '/api/v1/webhooks/test', {
      token,
      body: { targetUrl: closed.url, authentication: { type: 'NONE' }, events: ['COURSE_ENROLLMENT'] },
    });
    expect(answer.body).toMatchObject({
      delivered: false,
      statusCode: null,
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('422 EVENT_NOT_SUBSCRIBED / UNKNOWN_EVENT_TYPE for an event the webhook cannot send; 400 for BASIC without password', async () => {
    const created = (
      await api.call('POST', '/api/v1/webhooks', {
        token,
        body: webhookBody({ targetUrl: listener.url, events: ['COURSE_ENROLLMENT'] }),
      })
    ).body;
    const notSubscribed = await api.call('POST', `/api/v1/webhooks/${created.id}/test`, {
      token,
      body: { eventName: 'CI_STATS' },
    });
    expect(notSubscribed.status).toBe(422);
    expect(notSubscribed.body).toMatchObject({
      code: 'EVENT_NOT_SUBSCRIBED',
      details: [{ field: 'eventName' }],
    });
    const unknown = await api.call('POST', `/api/v1/webhooks/${created.id}/test`, {
      token,
      body: { eventName: 'NOPE' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('UNKNOWN_EVENT_TYPE');
    const unsavedBasic = await api.call('POST', '/api/v1/webhooks/test', {
      token,
      body: {
        targetUrl: listener.url,
        authentication: { type: 'BASIC', username: 'u' },
        events: ['COURSE_ENROLLMENT'],
      },
    });
    expect(unsavedBasic.status).toBe(400);
    expect(unsavedBasic.body.details[0].field).toBe('authentication.password');
    expect(listener.requests).toHaveLength(0);
  });
});

describe('admin API: test-send with private targets not allowed', () => {
  let api: AdminApiHarness;
  let listener: TestListener;

  beforeAll(async () => {
    api = await startAdminApi('test_send_strict', { ALLOW_HTTP_TARGETS: 'true' });
    listener = await startListener(answerJson(200, '{"ok":true}'));
  });
  afterAll(async () => {
    await listener.close();
    await api.close();
  });

  it('refuses 127.0.0.1 with 422 TARGET_NOT_ALLOWED and sends nothing', async () => {
    const answer = await api.call('POST', '/api/v1/webhooks/test', {
      token: api.tokenFor(ACCOUNT),
      body: { targetUrl: listener.url, authentication: { type: 'NONE' }, events: ['COURSE_ENROLLMENT'] },
    });
    expect(answer.status).toBe(422);
    expect(answer.body.code).toBe('TARGET_NOT_ALLOWED');
    expect(listener.requests).toHaveLength(0);
  });
});
