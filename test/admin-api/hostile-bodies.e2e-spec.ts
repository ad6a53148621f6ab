import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';
import { PUBLIC_TARGET, webhookBody } from './support/webhook-factory';

/**
 * No input ever produces a 500. Each hostile value is put in each field of each write endpoint (and
 * each hostile raw body and query string is sent as is); every answer must be a 4xx with an error code.
 * Nothing here can send a request anywhere: the app refuses private targets and the test webhook's
 * stored target is loopback, and no base body that could be sent targets a public host.
 */
const deepNesting = (depth: number): unknown => (depth === 0 ? 'x' : { nested: deepNesting(depth - 1) });
const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const NOT_A_STRING = [null, 42, -1.5, true, [], ['a'], {}, { $gt: '' }];
const HOSTILE_FIELDS: Record<string, unknown[]> = {
  name: [
    ...NOT_A_STRING,
    '',
    ' \t\n ',
    'x'.repeat(101),
    '😀'.repeat(101),
    'a\u0000b',
    'bell\u0007',
    '\u0000',
  ],
  description: [42, true, [], {}, 'd'.repeat(501), 'a\u0000b', deepNesting(40)],
  targetUrl: [
    ...NOT_A_STRING,
    '',
    'not a url',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'gopher://127.0.0.1:70/',
    'https://user:pass@127.0.0.1/',
    `https://${'a'.repeat(3000)}.com/`,
    'https://[::1',
    'https://127.0.0.1:99999/',
    'https://ex\u0000ample.com/',
    'https://169.254.169.254/latest/meta-data/',
    'http://93.184.215.14/plain-http',
  ],
  authentication: [
    null,
    'NONE',
    [],
    [{ type: 'NONE' }],
    {},
    { type: null },
    { type: 'basic' },
    { type: { $ne: 1 } },
    { type: 'BASIC', username: 1, password: 2 },
    { type: 'BASIC', username: 'a:b', password: 'x' },
    { type: 'BASIC', username: 'u\u0000', password: 'x' },
    { type: 'BASIC', username: 'u', password: 'x'.repeat(2000) },
    { type: 'BASIC', username: 'u', password: null },
    { type: 'SIGNATURE', secret: 'whsec_mine' },
    { type: 'NONE', nested: deepNesting(40) },
  ],
  events: [
    null,
    'COURSE_ENROLLMENT',
    [],
    [null],
    [1],
    [[]],
    [{}],
    ['COURSE_ENROLLMENT', 'COURSE_ENROLLMENT'],
    Array.from({ length: 101 }, (_, i) => `E${i}`),
    ['x'.repeat(65)],
    ['\u0000'],
    ['course_enrollment'],
    ['COURSE_ENROLLMENT\u200b'],
  ],
  active: [null, 'true', 1, 0, [], {}],
  rateLimitPerSecond: [0, -1, 1.5, '10', 10_001, [], {}, true, Number.MAX_SAFE_INTEGER + 2],
  __proto__: [{ admin: true }],
  constructor: [{ prototype: { polluted: true } }],
  unknownField: ['x'],
};

const HOSTILE_RAW_BODIES = [
  'null',
  '[]',
  '"a string"',
  '123',
  'true',
  '[{"name":"x"}]',
  '{"__proto__": {"isAdmin": true}}',
  '{"constructor": {"prototype": {"polluted": true}}}',
  '{"name": {"__proto__": {}}}',
  `{"name": ${deepArray(5000)}}`,
  '{"name": "\\ud800"}',
  '{"name": "x", "name": 1}',
  '{',
  '{"name": "x",}',
  "{'name': 'x'}",
  'NaN',
  '\u0000',
  '',
];

describe('admin API: hostile input never causes a 500', () => {
  let api: AdminApiHarness;
  let token: string;
  let webhookId: string;

  beforeAll(async () => {
    api = await startAdminApi('hostile');
    token = api.tokenFor(6060);
    webhookId = (await api.call('POST', '/api/v1/webhooks', { token, body: webhookBody({ name: 'target' }) }))
      .body.id;
    // Its stored target is loopback: even an accidentally valid test-send is refused before sending.
    await api.sql.query(`UPDATE webhooks SET target_url = 'https://127.0.0.1/never' WHERE id = $1`, [
      webhookId,
    ]);
  });
  afterAll(async () => {
    await api.close();
  });

  const failures: string[] = [];
  afterEach(() => {
    failures.length = 0;
  });

  async function expect4xx(
    label: string,
    method: string,
    path: string,
    options: Parameters<AdminApiHarness['call']>[2],
  ): Promise<void> {
    const answer = await api.call(method, path, { token, ...options });
    const ok =
      answer.status >= 400 &&
      answer.status < 500 &&
      typeof answer.body?.code === 'string' &&
      typeof answer.body?.message === 'string';
    if (!ok) failures.push(`${label}: ${method} ${path} → ${answer.status} ${answer.text.slice(0, 200)}`);
  }

  /** A body with one field replaced, serialised so `__proto__` stays an own JSON key. */
  function withField(base: Record<string, unknown>, field: string, value: unknown): string {
    const copy: Record<string, unknown> = {};
    for (const [key, existing] of Object.entries(base)) copy[key] = existing;
    Object.defineProperty(copy, field, { value, enumerable: true, configurable: true, writable: true });
    return JSON.stringify(copy);
  }

  it('POST /webhooks and PATCH /webhooks/:id refuse every hostile field value with a 4xx', async () => {
    const base = webhookBody({ targetUrl: PUBLIC_TARGET }) as Record<string, unknown>;
    for (const [field, values] of Object.entries(HOSTILE_FIELDS)) {
      for (const value of values) {
        const label = `${field}=${JSON.stringify(value)?.slice(0, 60)}`;
        await expect4xx(label, 'POST', '/api/v1/webhooks', { rawBody: withField(base, field, value) });
        await expect4xx(label, 'PATCH', `/api/v1/webhooks/${webhookId}`, {
          rawBody: withField({}, field, value),
        });
      }
    }
    expect(failures).toEqual([]);
    // Nothing hostile was created or changed.
    const rows = await api.sql.query('SELECT name, target_url FROM webhooks');
    expect(rows.rows).toEqual([{ name: 'target', target_url: 'https://127.0.0.1/never' }]);
  });

  it('POST /webhooks/test and POST /webhooks/:id/test refuse every hostile value with a 4xx', async () => {
    const base = {
      targetUrl: 'https://127.0.0.1/never',
      authentication: { type: 'NONE' },
      events: ['COURSE_ENROLLMENT'],
    };
    for (const [field, values] of Object.entries({
      ...HOSTILE_FIELDS,
      eventName: [...NOT_A_STRING, '', 'NOPE', 'x'.repeat(65), 'CI_STATS'],
    })) {
      for (const value of values) {
        const label = `${field}=${JSON.stringify(value)?.slice(0, 60)}`;
        await expect4xx(label, 'POST', '/api/v1/webhooks/test', { rawBody: withField(base, field, value) });
      }
    }
    for (const value of [...NOT_A_STRING, '', 'NOPE', 'CI_STATS']) {
      await expect4xx(`eventName=${JSON.stringify(value)}`, 'POST', `/api/v1/webhooks/${webhookId}/test`, {
        rawBody: JSON.stringify({ eventName: value }),
      });
    }
    expect(failures).toEqual([]);
  });

  it('POST /webhooks/:id/replay refuses hostile ranges with a 4xx', async () => {
    for (const value of [
      ...NOT_A_STRING,
      '',
      'yesterday',
      '2026-13-01T00:00:00Z',
      '1e3',
      1e300,
      -1e300,
      Number.MAX_SAFE_INTEGER * 4,
      '99999999999999999999',
    ]) {
      await expect4xx(`from=${JSON.stringify(value)}`, 'POST', `/api/v1/webhooks/${webhookId}/replay`, {
        rawBody: JSON.stringify({ from: value, to: 1 }),
      });
      await expect4xx(`to=${JSON.stringify(value)}`, 'POST', `/api/v1/webhooks/${webhookId}/replay`, {
        rawBody: JSON.stringify({ from: 0, to: value }),
      });
    }
    expect(failures).toEqual([]);
  });

  it('refuses hostile raw bodies on every write endpoint with a 4xx', async () => {
    const endpoints: Array<[string, string]> = [
      ['POST', '/api/v1/webhooks'],
      ['PATCH', `/api/v1/webhooks/${webhookId}`],
      ['POST', '/api/v1/webhooks/test'],
      ['POST', `/api/v1/webhooks/${webhookId}/replay`],
    ];
    for (const [method, path] of endpoints) {
      for (const rawBody of HOSTILE_RAW_BODIES) {
        await expect4xx(`body ${rawBody.slice(0, 40)}`, method, path, { rawBody });
      }
      await expect4xx('text/plain body', method, path, {
        rawBody: 'name=x',
        headers: { 'content-type': 'text/plain' },
      });
      await expect4xx('latin1 charset', method, path, {
        rawBody: '{}',
        headers: { 'content-type': 'application/json; charset=latin1' },
      });
      await expect4xx('huge body', method, path, {
        rawBody: JSON.stringify({ name: 'x'.repeat(400 * 1024) }),
      });
    }
    expect(failures).toEqual([]);
  });

  it('refuses hostile query strings and path parameters with a 4xx', async () => {
    const list = `/api/v1/webhooks/${webhookId}/deliveries`;
    for (const query of [
      'limit=-1',
      'limit=1e3',
      'limit=1.5',
      'limit[]=1',
      'limit=1&limit=2',
      'status[$ne]=x',
      'status=SUCCEEDED&status=DEAD',
      `cursor=${'A'.repeat(600)}`,
      'cursor=%00',
      `cursor=${Buffer.from('{"__proto__":1}').toString('base64url')}`,
      `cursor=${Buffer.from(JSON.stringify(['2026-01-01 00:00:00+00', "x' OR 1=1 --"])).toString('base64url')}`,
      'from=99999999999999999999',
      'from=-8640000000000001',
      'to=%FF',
      'eventName=%00',
      '__proto__[x]=1',
    ]) {
      await expect4xx(`?${query}`, 'GET', `${list}?${query}`, {});
    }
    for (const path of [
      '/api/v1/webhooks/%FF',
      `/api/v1/webhooks/${'a'.repeat(5000)}`,
      "/api/v1/webhooks/1'%20OR%20'1'='1",
      '/api/v1/deliveries/..%2F..%2Fetc%2Fpasswd',
      '/api/v1/deliveries/00000000-0000-0000-0000-00000000000g/redeliver',
    ]) {
      await expect4xx(path, 'GET', path, {});
    }
    expect(failures).toEqual([]);
  });
});
