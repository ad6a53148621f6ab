import { createTestDatabase, type TestDatabase } from '@lms/testing';
import { DataSource } from 'typeorm';
import { withAdvisoryLock } from './run-once-job';

const KEY = 7_319_999;

/** The one advisory-lock primitive on a real Postgres: one holder at a time, released however the holder ends. */
describe('withAdvisoryLock', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('advisory_lock');
    dataSource = new DataSource({ type: 'postgres', url: database.url, poolSize: 6 });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it.each(['transaction', 'session'] as const)(
    '%s scope: a second caller is turned away while the first holds it',
    async (scope) => {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let tookLock!: () => void;
      const holding = new Promise<void>((resolve) => (tookLock = resolve));
      const first = withAdvisoryLock(
        dataSource,
        KEY,
        async () => {
          tookLock();
          await held;
          return 'first';
        },
        scope,
      );
      await holding; // its work runs only once it holds the lock: no pause on the clock

      const second = await withAdvisoryLock(dataSource, KEY, async () => 'second', scope);
      release();

      expect(second).toBeNull();
      expect(await first).toBe('first');
      expect(await withAdvisoryLock(dataSource, KEY, async () => 'after', scope)).toBe('after');
    },
  );

  it.each(['transaction', 'session'] as const)(
    '%s scope: a holder that throws releases the lock (and its transaction is rolled back)',
    async (scope) => {
      await dataSource.query('CREATE TABLE IF NOT EXISTS lock_probe (n int)');
      await expect(
        withAdvisoryLock(
          dataSource,
          KEY,
          async (runner) => {
            await runner.query('INSERT INTO lock_probe VALUES (1)');
            throw new Error('boom');
          },
          scope,
        ),
      ).rejects.toThrow('boom');

      expect(await withAdvisoryLock(dataSource, KEY, async () => 'free', scope)).toBe('free');
      const [{ n }] = await dataSource.query('SELECT count(*)::int AS n FROM lock_probe');
      expect(n).toBe(scope === 'transaction' ? 0 : 1);
      await dataSource.query('DELETE FROM lock_probe');
    },
  );
});
