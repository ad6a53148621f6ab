import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  insertAttemptRow,
  insertDeliveryRow,
  insertEventRow,
  startListener,
  type TestListener,
} from '@lms/testing';
import { startAdminApi, type AdminApiHarness, type ApiAnswer } from './support/admin-api-harness';
import { OpenApiValidator } from './support/openapi-validator';
import {
  DETAIL_CODES,
  DOMAIN_DETAIL_CODES,
  VALIDATION_DETAIL_CODES,
} from '../../apps/admin-api/src/http/validation-detail-codes';
import { webhookBody } from './support/webhook-factory';

const ACCOUNT = 4242;
const ROOT = join(__dirname, '..', '..');
const REDOCLY = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');

/** The warnings that remain, and why: the public probes have no 4xx answer to document. */
const ACCEPTED_WARNINGS = [
  'operation-4xx-response #/paths/~1health~1live/get/responses',
  'operation-4xx-response #/paths/~1health~1ready/get/responses',
  'operation-4xx-response #/paths/~1metrics/get/responses',
];

interface OperationShape {
  summary?: string;
  security?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{
    ruleId: string;
    severity: string;
    message: string;
    location: Array<{ pointer: string }>;
  }>;
}

/** The README's curl examples: method, path, query and `-d '{…}'` body (which may span lines). */
function readmeRequests(
  readme: string,
): Array<{ method: string; path: string; body?: unknown; query?: string }> {
  // Line continuations joined; a quoted body keeps its own newlines.
  const text = readme.replace(/\\\n\s*/g, ' ');
  const commands = text.split(/(?=curl -s)/).slice(1);
  return commands.map((command) => {
    const method = /-X (\w+)/.exec(command)?.[1] ?? 'GET';
    const [, path, query] = /"?\$API(\/[^\s"?]*)(?:\?([^\s"]*))?/.exec(command) ?? [];
    const body = /-d '([^']*)'/.exec(command)?.[1];
    return { method, path, query, body: body === undefined ? undefined : JSON.parse(body) };
  });
}

/** `/webhooks/$ID/test` → the document's `/api/v1/webhooks/{id}/test`. */
function documentPath(readmePath: string): string {
  return `/api/v1${readmePath.replace(/\/(\$ID|<\w+>)/g, '/{id}')}`;
}

describe('admin API: the OpenAPI document is lint-clean and describes what the server does', () => {
  let api: AdminApiHarness;
  let listener: TestListener;
  let token: string;
  let validator: OpenApiValidator;
  let document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

  beforeAll(async () => {
    // Loopback listener for test-send: private and http targets allowed, as in development.
    api = await startAdminApi('openapi_contract', {
      ALLOW_PRIVATE_TARGETS: 'true',
      ALLOW_HTTP_TARGETS: 'true',
    });
    listener = await startListener(() => ({ status: 200, body: '{"ok":true}' }));
    token = api.tokenFor(ACCOUNT, { sub: 'dora' });
    const answer = await api.call('GET', '/docs-json');
    expect(answer.status).toBe(200);
    document = answer.body;
    validator = new OpenApiValidator(document, { closed: true });
  });
  afterAll(async () => {
    await listener?.close();
    await api?.close();
  });

  /** Calls the API and checks the answer against the document: status documented, body matching. */
  async function contractCall(
    method: string,
    path: string,
    documented: string,
    options: {
      token?: string | null;
      body?: unknown;
      rawBody?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<ApiAnswer> {
    const answer = await api.call(method, path, { token, ...options });
    expect({
      call: `${method} ${path} → ${answer.status}`,
      errors: validator.responseErrors(method, documented, answer.status, answer.body),
    }).toEqual({ call: `${method} ${path} → ${answer.status}`, errors: [] });
    return answer;
  }

  it('has zero errors under redocly recommended rules; the only warnings are the public probes without a 4xx', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lmsw-openapi-'));
    try {
      const file = join(dir, 'admin-api.openapi.json');
      await writeFile(file, JSON.stringify(document, null, 2));
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [REDOCLY, 'lint', file, '--extends=recommended', '--format=json'],
        // Nothing leaves the machine: no usage telemetry, no update check.
        {
          cwd: dir,
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
      const report = JSON.parse(stdout) as LintReport;
      const described = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}`);
      expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([]);
      expect(report.totals.errors).toBe(0);
      expect(described.sort()).toEqual([...ACCEPTED_WARNINGS].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('documents the readiness probe as terminus defines it: the health check result on 200 and on 503', () => {
    // The shared HealthController leaves Swagger out (the dispatcher and ingestion never load it); the
    // admin API adds terminus's definitions to its own document.
    const responses = document.paths['/health/ready'].get.responses;
    expect(Object.keys(responses).sort()).toEqual(['200', '503']);
    for (const [code, status] of [
      ['200', 'ok'],
      ['503', 'error'],
    ]) {
      expect(responses[code].content['application/json'].schema.properties.status).toMatchObject({
        type: 'string',
        example: status,
      });
    }
  });

  it('types the fields the server types: nullable strings and integers, instants as text or epoch ms', () => {
    const create = document.components.schemas.CreateWebhookDto.properties;
    expect(create.description).toMatchObject({ type: 'string', nullable: true });
    expect(create.rateLimitPerSecond).toMatchObject({ type: 'integer', nullable: true, minimum: 1 });
    const update = document.components.schemas.UpdateWebhookDto.properties;
    expect(update.description).toMatchObject({ type: 'string', nullable: true });
    expect(update.rateLimitPerSecond).toMatchObject({ type: 'integer', nullable: true });
    const test = document.components.schemas.TestUnsavedWebhookDto.properties;
    expect(test.description).toMatchObject({ type: 'string', nullable: true });
    expect(test.rateLimitPerSecond).toMatchObject({ type: 'integer', nullable: true });
    const replay = document.components.schemas.ReplayDto.properties;
    for (const field of [replay.from, replay.to]) {
      expect(field.type).toBeUndefined();
      expect(field.oneOf.map((s: { type: string }) => s.type)).toEqual(['string', 'integer']);
    }
    // The lane settings: integers with their range and default; overlap means no order, and it says so.
    for (const schema of ['CreateWebhookDto', 'UpdateWebhookDto', 'WebhookResponse']) {
      const properties = document.components.schemas[schema].properties;
      expect(properties.maxInFlight).toMatchObject({ type: 'integer', minimum: 1, maximum: 50 });
      expect(properties.maxInFlight.description).toContain('order is NOT guaranteed');
      expect(properties.maxEventsPerRequest).toMatchObject({ type: 'integer', minimum: 1, maximum: 1000 });
    }
    expect(create.maxInFlight.default).toBe(1);
    expect(create.maxEventsPerRequest.default).toBe(100);
    expect(update.maxInFlight.default).toBeUndefined();
    expect(document.components.schemas.WebhookResponse.required).toEqual(
      expect.arrayContaining(['maxInFlight', 'maxEventsPerRequest']),
    );
    const get = validator.operation('GET', '/api/v1/webhooks/{id}');
    expect(get.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/WebhookDetailResponse',
    });
    const lane = document.components.schemas.LaneResponse;
    expect(lane.required).toEqual(
      expect.arrayContaining([
        'kind',
        'pendingEvents',
        'heldEvents',
        'oldestPendingAgeMs',
        'inFlight',
        'blockedSince',
      ]),
    );
    expect(lane.properties.oldestPendingAgeMs).toMatchObject({ type: 'integer', nullable: true });
    expect(lane.properties.blockedSince).toMatchObject({
      type: 'string',
      format: 'date-time',
      nullable: true,
    });

    const list = validator.operation('GET', '/api/v1/webhooks/{id}/deliveries');
    const from = list.parameters.find((p: { name: string }) => p.name === 'from');
    expect(from.schema.type).toBe('string');
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('documents 400, 401 and 403 on every authenticated operation, 404 on every :id route, 409/422 on PATCH', () => {
    for (const [path, item] of Object.entries<Record<string, OperationShape>>(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const name = `${method.toUpperCase()} ${path}`;
        expect({ name, summary: typeof operation.summary }).toEqual({ name, summary: 'string' });
        if (!path.startsWith('/api/v1')) {
          expect({ name, security: operation.security }).toEqual({ name, security: [] });
          continue;
        }
        const statuses = Object.keys(operation.responses);
        expect({ name, statuses }).toEqual({ name, statuses: expect.arrayContaining(['400', '401', '403']) });
        if (path.includes('{id}')) {
          expect({ name, statuses }).toEqual({ name, statuses: expect.arrayContaining(['404']) });
        }
        if (operation.requestBody) {
          expect({ name, statuses }).toEqual({ name, statuses: expect.arrayContaining(['413', '415']) });
        }
      }
    }
    const patch = validator.operation('PATCH', '/api/v1/webhooks/{id}');
    expect(Object.keys(patch.responses)).toEqual(expect.arrayContaining(['404', '409', '422']));
    expect(document.security).toEqual([{ bearer: [] }]);
  });

  it("accepts the README's example bodies and query, and the server accepts them too", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const requests = readmeRequests(readme);
    const withBodies = requests.filter((r) => r.body !== undefined);
    // The walk-through creates, tests and activates: all three bodies are checked.
    expect(withBodies.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /webhooks',
      'POST /webhooks/$ID/test',
      'PATCH /webhooks/$ID',
    ]);
    for (const request of requests) {
      const path = documentPath(request.path);
      if (request.body !== undefined) {
        expect({ path, errors: validator.requestBodyErrors(request.method, path, request.body) }).toEqual({
          path,
          errors: [],
        });
      }
      if (request.query) {
        expect({
          path,
          errors: validator.queryErrors(request.method, path, new URLSearchParams(request.query)),
        }).toEqual({ path, errors: [] });
      }
    }

    // The same bodies, sent: the create body as written (its target is not dialled on create).
    const create = withBodies[0].body as Record<string, unknown>;
    const created = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', { body: create });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const patched = await contractCall('PATCH', `/api/v1/webhooks/${id}`, '/api/v1/webhooks/{id}', {
      body: withBodies[2].body,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.active).toBe(true);
    await contractCall('DELETE', `/api/v1/webhooks/${id}`, '/api/v1/webhooks/{id}');
  });

  it('a body that follows the document is accepted (null description and rate limit, integer rate limit and lane settings)', async () => {
    const body = webhookBody({
      description: null,
      rateLimitPerSecond: 50,
      active: false,
      maxInFlight: 5,
      maxEventsPerRequest: 1000,
    });
    expect(validator.requestBodyErrors('POST', '/api/v1/webhooks', body)).toEqual([]);
    const created = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', { body });
    expect(created.status).toBe(201);
    const cleared = await contractCall(
      'PATCH',
      `/api/v1/webhooks/${created.body.id}`,
      '/api/v1/webhooks/{id}',
      {
        body: { description: null, rateLimitPerSecond: null, maxInFlight: 1, maxEventsPerRequest: 1 },
      },
    );
    expect(cleared.status).toBe(200);
    // And what the document refuses, the server refuses.
    const fractional = webhookBody({ rateLimitPerSecond: 1.5 });
    expect(validator.requestBodyErrors('POST', '/api/v1/webhooks', fractional)).not.toEqual([]);
    const refused = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', { body: fractional });
    expect(refused.status).toBe(400);
    for (const outOfRange of [{ maxInFlight: 51 }, { maxEventsPerRequest: 0 }, { maxInFlight: '3' }]) {
      const refusedBody = webhookBody(outOfRange);
      expect(validator.requestBodyErrors('POST', '/api/v1/webhooks', refusedBody)).not.toEqual([]);
      const answer = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
        body: refusedBody,
      });
      expect(answer.status).toBe(400);
    }
    await contractCall('DELETE', `/api/v1/webhooks/${created.body.id}`, '/api/v1/webhooks/{id}');
  });

  it("documents each detail's code (every one the server gives) and params; a 400 carries them as documented", async () => {
    const detail = document.components.schemas.ApiErrorDetail;
    expect(detail.required).toEqual(expect.arrayContaining(['field', 'code', 'message']));
    const codes = detail.properties.code.enum ?? document.components.schemas.ApiErrorDetailCode?.enum;
    expect([...codes].sort()).toEqual([...DETAIL_CODES].sort());
    expect(codes).toEqual(
      expect.arrayContaining([
        ...VALIDATION_DETAIL_CODES,
        ...DOMAIN_DETAIL_CODES,
        'INVALID_VALUE',
        'WEBHOOK_NAME_TAKEN',
      ]),
    );
    expect(detail.properties.params).toMatchObject({ type: 'object' });

    const refused = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
      body: webhookBody({ name: 'x'.repeat(101), colour: 'blue' }),
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([
      { field: 'colour', code: 'UNKNOWN_FIELD', message: 'should not exist' },
      {
        field: 'name',
        code: 'FIELD_TOO_LONG',
        message: 'must be shorter than or equal to 100 characters',
        params: { max: 100 },
      },
    ]);

    // A rule the domain checks itself carries its code and params as documented too.
    const scheme = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
      body: webhookBody({ targetUrl: 'ftp://93.184.215.14/x' }),
    });
    expect(scheme.status).toBe(400);
    expect(scheme.body.details).toEqual([
      {
        field: 'targetUrl',
        code: 'TARGET_URL_NOT_ALLOWED',
        message: 'must use https (or http where allowed)',
        params: { reason: 'SCHEME_NOT_HTTP' },
      },
    ]);
  });

  it('every answer of a walk through all operations matches the document, errors included', async () => {
    await contractCall('GET', '/api/v1/event-types', '/api/v1/event-types');
    const created = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
      body: webhookBody({
        targetUrl: `${listener.url}/hooks`,
        authentication: { type: 'SIGNATURE' },
        active: true,
        rateLimitPerSecond: 100,
      }),
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const hook = `/api/v1/webhooks/${id}`;
    await contractCall('GET', '/api/v1/webhooks', '/api/v1/webhooks');
    await contractCall('GET', hook, '/api/v1/webhooks/{id}');
    await contractCall('GET', `${hook}/signature`, '/api/v1/webhooks/{id}/signature');
    await contractCall('POST', `${hook}/signature/rotate`, '/api/v1/webhooks/{id}/signature/rotate');
    await contractCall('GET', `${hook}/audit`, '/api/v1/webhooks/{id}/audit');

    const tested = await contractCall('POST', `${hook}/test`, '/api/v1/webhooks/{id}/test', {
      body: { eventName: 'COURSE_ENROLLMENT' },
    });
    expect(tested.body.delivered).toBe(true);
    const unsaved = await contractCall('POST', '/api/v1/webhooks/test', '/api/v1/webhooks/test', {
      body: {
        targetUrl: `${listener.url}/hooks`,
        authentication: { type: 'SIGNATURE' },
        events: ['COURSE_ENROLLMENT'],
      },
    });
    expect(typeof unsaved.body.signingSecret).toBe('string');

    // Deliveries: events replayed by ISO time and by epoch ms (appended to the lane: no dispatcher here
    // turns them into requests), then a log of requests as a dispatcher records them, one delivery and
    // a redelivery.
    const occurredAt = Date.UTC(2026, 0, 2);
    const eventPks = [
      await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt }),
      await insertEventRow(api.sql, { accountId: ACCOUNT, occurredAt: occurredAt + 1000 }),
    ];
    const replayed = await contractCall('POST', `${hook}/replay`, '/api/v1/webhooks/{id}/replay', {
      body: { from: '2026-01-02', to: occurredAt + 1000 },
    });
    expect(replayed.body).toEqual({ count: 2, realtimeEvents: 2, batchedEvents: 0 });
    for (const eventPk of eventPks) {
      await insertDeliveryRow(api.sql, { webhookId: id, accountId: ACCOUNT, eventPks: [eventPk] });
    }
    const page = await contractCall(
      'GET',
      `${hook}/deliveries?from=2026-01-01T00:00:00Z&to=${Date.now() + 60_000}&limit=1`,
      '/api/v1/webhooks/{id}/deliveries',
    );
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const deliveryId: string = page.body.items[0].id;
    await insertAttemptRow(api.sql, { deliveryId, attemptNumber: 1, statusCode: 500, error: 'HTTP 500' });
    await api.sql.query(`UPDATE deliveries SET status = 'DEAD', last_error = 'HTTP 500' WHERE id = $1`, [
      deliveryId,
    ]);

    // The lane view, busy: the replayed events pending, a failing request in flight (every field set).
    const failing = await insertDeliveryRow(api.sql, {
      webhookId: id,
      accountId: ACCOUNT,
      eventPks: [eventPks[0]],
      status: 'RETRYING',
    });
    await insertAttemptRow(api.sql, { deliveryId: failing, attemptNumber: 1, statusCode: 503 });
    const lanes = (await contractCall('GET', hook, '/api/v1/webhooks/{id}')).body.lanes;
    expect(lanes[0]).toMatchObject({
      kind: 'REALTIME',
      pendingEvents: 2,
      oldestPendingAgeMs: expect.any(Number),
      inFlight: [{ deliveryId: failing, status: 'RETRYING' }],
      blockedSince: expect.any(String),
    });
    await api.sql.query(`UPDATE deliveries SET status = 'CANCELLED' WHERE id = $1`, [failing]);
    const detail = await contractCall('GET', `/api/v1/deliveries/${deliveryId}`, '/api/v1/deliveries/{id}');
    expect(detail.body.attempts).toHaveLength(1);
    const redelivered = await contractCall(
      'POST',
      `/api/v1/deliveries/${deliveryId}/redeliver`,
      '/api/v1/deliveries/{id}/redeliver',
    );
    expect(redelivered.status).toBe(202);

    // Errors: each status the server gives here is documented on the operation, with the error body.
    const statuses = async (answers: Array<Promise<ApiAnswer>>) =>
      (await Promise.all(answers)).map((a) => a.status);
    expect(
      await statuses([
        contractCall('GET', '/api/v1/webhooks/not-a-uuid', '/api/v1/webhooks/{id}'),
        contractCall('GET', '/api/v1/webhooks', '/api/v1/webhooks', { token: null }),
        contractCall('GET', '/api/v1/webhooks', '/api/v1/webhooks', {
          token: api.tokenFor(ACCOUNT, { roles: [] }),
        }),
        contractCall(
          'PATCH',
          '/api/v1/webhooks/00000000-0000-4000-8000-000000000000',
          '/api/v1/webhooks/{id}',
          {
            body: { active: true },
          },
        ),
        contractCall(
          'DELETE',
          '/api/v1/webhooks/00000000-0000-4000-8000-000000000000',
          '/api/v1/webhooks/{id}',
        ),
        contractCall('PATCH', hook, '/api/v1/webhooks/{id}', { body: { targetUrl: 'ftp://example.com/' } }),
        contractCall('PATCH', hook, '/api/v1/webhooks/{id}', { body: { events: ['NOT_AN_EVENT'] } }),
        contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
          rawBody: '{"name":"\xff"}',
          headers: { 'content-type': 'application/json; charset=utf-16' },
        }),
        contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
          rawBody: JSON.stringify(webhookBody()),
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        }),
        contractCall('POST', `${hook}/replay`, '/api/v1/webhooks/{id}/replay', {
          body: { from: 0, to: 1e19 },
        }),
        contractCall('GET', `${hook}/deliveries?from=2024-02-30`, '/api/v1/webhooks/{id}/deliveries'),
      ]),
    ).toEqual([400, 401, 403, 404, 404, 400, 422, 415, 415, 400, 400]);

    const second = await contractCall('POST', '/api/v1/webhooks', '/api/v1/webhooks', {
      body: webhookBody({ name: 'second' }),
    });
    const taken = await contractCall('PATCH', `/api/v1/webhooks/${second.body.id}`, '/api/v1/webhooks/{id}', {
      body: { name: created.body.name },
    });
    expect(taken.status).toBe(409);
    const invalidUtf8 = await api.call('POST', '/api/v1/webhooks', {
      token,
      rawBody: Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]).toString('latin1'),
    });
    expect(invalidUtf8.status).toBe(400);
  });
});
