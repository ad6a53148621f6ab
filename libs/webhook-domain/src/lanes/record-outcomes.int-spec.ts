import {
  createTestDatabase,
  insertDeliveryRow,
  insertEventRow,
  insertWebhookRow,
  type TestDatabase,
  openMigratedDataSource,
} from '@lms/testing';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LaneRepository, type DeliveryOutcome } from './lane.repository';

const NUL = '\u0000';

/**
 * recordOutcomes on the real Postgres, with outcomes as they would be if the sender's sanitising were
 * bypassed: text Postgres refuses (U+0000, SQLSTATE 22021) beside valid outcomes of another account.
 */
describe('LaneRepository.recordOutcomes: one refused outcome never fails the others', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Client;
  let lanes: LaneRepository;

  beforeAll(async () => {
    database = await createTestDatabase('record_outcomes');
    dataSource = await openMigratedDataSource(database);
    sql = new Client({ connectionString: database.url });
    await sql.connect();
    lanes = new LaneRepository(dataSource);
  });

  afterAll(async () => {
    await sql?.end();
    await dataSource?.destroy();
    await database?.drop();
  });

  async function webhook(accountId: number): Promise<string> {
    return insertWebhookRow(sql, { accountId, targetUrl: 'http://127.0.0.1:9/hook', status: 'ACTIVE' });
  }

  async function openDelivery(webhookId: string, accountId: number): Promise<string> {
    const eventPk = await insertEventRow(sql, { accountId });
    return insertDeliveryRow(sql, { webhookId, accountId, eventPks: [eventPk], status: 'PENDING' });
  }

  function outcome(
    deliveryId: string,
    webhookId: string,
    input: Partial<DeliveryOutcome['attempt']> & Pick<DeliveryOutcome, 'status'> & { deadReason?: string },
  ): DeliveryOutcome {
    const { status, deadReason, ...attempt } = input;
    return {
      deliveryId,
      webhookId,
      status,
      deadReason,
      nextAttemptAt: status === 'RETRYING' ? new Date(Date.now() + 60_000) : undefined,
      attempt: {
        startedAt: new Date(),
        durationMs: 12,
        statusCode: 200,
        error: null,
        responseSnippet: 'ok',
        ...attempt,
      },
    };
  }

  async function deliveryRow(id: string) {
    const {
      rows: [row],
    } = await sql.query(
      `SELECT d.status, d.attempt_count, d.last_error, d.last_status_code,
              a.status_code AS attempt_status_code, a.error AS attempt_error, a.response_snippet
         FROM deliveries d LEFT JOIN delivery_attempts a ON a.delivery_id = d.id
        WHERE d.id = $1`,
      [id],
    );
    return row as Record<string, unknown>;
  }

  it('writes every other outcome (another account included) and the refused ones in a storable form', async () => {
    const noisy = await webhook(501);
    const quiet = await webhook(502);
    const nulAnswer = await openDelivery(noisy, 501);
    const nulError = await openDelivery(noisy, 501);
    const quietOnes: string[] = [];
    for (let index = 0; index < 5; index += 1) quietOnes.push(await openDelivery(quiet, 502));

    const written = await lanes.recordOutcomes([
      outcome(quietOnes[0], quiet, { status: 'SUCCEEDED', responseSnippet: 'thanks' }),
      outcome(nulAnswer, noisy, { status: 'SUCCEEDED', responseSnippet: `{"ok":true}${NUL}` }),
      outcome(quietOnes[1], quiet, { status: 'SUCCEEDED' }),
      outcome(quietOnes[2], quiet, { status: 'RETRYING', statusCode: 500, error: 'HTTP 500' }),
      outcome(nulError, noisy, {
        status: 'DEAD',
        statusCode: null,
        error: `EPROTO: bad${NUL}header`,
        deadReason: `EPROTO: bad${NUL}header (gave up)`,
        responseSnippet: '',
      }),
      outcome(quietOnes[3], quiet, { status: 'SUCCEEDED' }),
      outcome(quietOnes[4], quiet, { status: 'SUCCEEDED' }),
    ]);

    expect(written.map((w) => w.status)).toEqual([
      'SUCCEEDED',
      'SUCCEEDED',
      'SUCCEEDED',
      'RETRYING',
      'DEAD',
      'SUCCEEDED',
      'SUCCEEDED',
    ]);
    expect(written.every((w) => w.attemptNumber === 1)).toBe(true);

    // The other account's outcomes are written exactly as given.
    expect(await deliveryRow(quietOnes[0])).toMatchObject({
      status: 'SUCCEEDED',
      attempt_count: 1,
      attempt_status_code: 200,
      response_snippet: 'thanks',
    });
    expect(await deliveryRow(quietOnes[2])).toMatchObject({
      status: 'RETRYING',
      last_error: 'HTTP 500',
      attempt_error: 'HTTP 500',
    });
    // The refused ones keep their true status; the text Postgres refused is replaced by a note.
    expect(await deliveryRow(nulAnswer)).toMatchObject({
      status: 'SUCCEEDED',
      attempt_count: 1,
      last_status_code: 200,
      attempt_status_code: 200,
      attempt_error: null,
      response_snippet: '',
    });
    const note = expect.stringMatching(/^not stored: the database refused this attempt's text \(SQLSTATE 22/);
    expect(await deliveryRow(nulError)).toMatchObject({
      status: 'DEAD',
      attempt_count: 1,
      last_error: note,
      attempt_error: note,
    });
  });

  it('still fails the write (for the caller to retry) when the database itself is the problem', async () => {
    const hook = await webhook(503);
    const id = await openDelivery(hook, 503);
    await sql.query('ALTER TABLE delivery_attempts RENAME TO delivery_attempts_away');
    try {
      await expect(lanes.recordOutcomes([outcome(id, hook, { status: 'SUCCEEDED' })])).rejects.toMatchObject({
        code: '42P01',
      });
    } finally {
      await sql.query('ALTER TABLE delivery_attempts_away RENAME TO delivery_attempts');
    }
    expect(await deliveryRow(id)).toMatchObject({ status: 'PENDING', attempt_count: 0 });
  });
});
