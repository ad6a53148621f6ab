import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
// Polling waits use Node's promise timer, which Jest's fake timers leave real.
import { setTimeout as sleep } from 'node:timers/promises';
import { AppSupervisor, AppSupervisorOptions } from './app-supervisor';

// A real child app: records each run (pid, time) in a file, exits 1 on its first `failRuns` runs, then
// stays up; `ignore-sigterm` makes it deaf to SIGTERM, `exit-after` makes every run exit 1 after `upMs`.
const FLAKY_APP = `
const fs = require('node:fs');
const [runsFile, failRuns, mode, upMs] = process.argv.slice(2);
if (mode === 'ignore-sigterm') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
fs.appendFileSync(runsFile, JSON.stringify({ pid: process.pid, at: Date.now() }) + '\\n');
const run = fs.readFileSync(runsFile, 'utf8').trim().split('\\n').length;
console.log('run ' + run);
if (run <= Number(failRuns)) {
  console.error('failing on purpose');
  process.exit(1);
}
if (mode === 'exit-after') setTimeout(() => process.exit(1), Number(upMs));
setInterval(() => {}, 60_000);
`;

interface Run {
  pid: number;
  at: number;
}

describe('AppSupervisor', () => {
  let dir: string;
  let runsFile: string;
  let script: string;
  const supervisors: AppSupervisor[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'app-supervisor-'));
    runsFile = path.join(dir, 'runs.ndjson');
    script = path.join(dir, 'flaky-app.js');
    writeFileSync(script, FLAKY_APP);
  });

  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
    rmSync(dir, { recursive: true, force: true });
  });

  function supervise(
    app: { failRuns?: number; mode?: 'ignore-sigterm' | 'exit-after'; upMs?: number },
    options: Partial<AppSupervisorOptions> = {},
  ) {
    const logs: string[] = [];
    const output: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const supervisor = new AppSupervisor({
      label: 'app',
      command: process.execPath,
      args: [script, runsFile, String(app.failRuns ?? 0), app.mode ?? '', String(app.upMs ?? 0)],
      backoff: { initialMs: 50, maxMs: 150, resetAfterMs: 10_000 },
      stopGraceMs: 2_000,
      log: (message) => logs.push(message),
      stdout: sink,
      stderr: sink,
      ...options,
    });
    supervisors.push(supervisor);
    supervisor.start();
    return { supervisor, logs, output };
  }

  function runs(): Run[] {
    try {
      return readFileSync(runsFile, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Run);
    } catch {
      return [];
    }
  }

  async function waitFor(condition: () => boolean, timeoutMs = 4_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  it('restarts an app that exits non-zero, with doubling delays up to the cap, until it stays up', async () => {
    const { supervisor, logs, output } = supervise({ failRuns: 3 });

    await waitFor(() => runs().length === 4);
    expect(logs).toEqual([
      'app exited with code 1; restarting in 50 ms (restart 1)',
      'app exited with code 1; restarting in 100 ms (restart 2)',
      'app exited with code 1; restarting in 150 ms (restart 3)',
    ]);
    const starts = runs().map((run) => run.at);
    [50, 100, 150].forEach((delayMs, index) =>
      expect(starts[index + 1] - starts[index]).toBeGreaterThanOrEqual(delayMs),
    );
    // The app's own lines reach the operator under its prefix, the reason for each exit included.
    await waitFor(() => output.includes('[app] run 4'));
    expect(output.filter((line) => line === '[app] failing on purpose')).toHaveLength(3);

    // It stays up: the fourth run is still the running one (a restart only follows an exit, decided and
    // logged at the exit), so no fifth run can be on its way.
    expect(isAlive(runs()[3].pid)).toBe(true);
    expect(runs()).toHaveLength(4);
    expect(supervisor.restarts).toBe(3);
    expect(logs).toHaveLength(3);
  });

  it('starts again from the first delay after a run that stayed up long enough', async () => {
    const { logs } = supervise(
      { mode: 'exit-after', upMs: 150 },
      { backoff: { initialMs: 50, maxMs: 1_000, resetAfterMs: 100 } },
    );

    await waitFor(() => logs.length >= 3);
    expect(logs.slice(0, 3)).toEqual(
      [1, 2, 3].map((n) => `app exited with code 1; restarting in 50 ms (restart ${n})`),
    );
  });

  it('restarts an app killed with SIGKILL', async () => {
    const { logs } = supervise({});
    await waitFor(() => runs().length === 1);

    process.kill(runs()[0].pid, 'SIGKILL');

    await waitFor(() => runs().length === 2);
    expect(logs).toEqual(['app was killed by SIGKILL; restarting in 50 ms (restart 1)']);
    expect(isAlive(runs()[1].pid)).toBe(true);
  });

  it('on stop() ends the app and never restarts it', async () => {
    const { supervisor, logs } = supervise({});
    await waitFor(() => runs().length === 1);

    await supervisor.stop();

    // stop() resolves after the app's exit, which the supervisor handled first: a restart would have
    // been counted and logged right there, so nothing is left to wait for.
    expect(isAlive(runs()[0].pid)).toBe(false);
    expect(supervisor.restarts).toBe(0);
    expect(logs).toEqual([]);
    expect(runs()).toHaveLength(1);
  });

  it('stop() during a backoff wait cancels the pending restart', async () => {
    // Only setTimeout is faked (the supervisor's restart timer): the child, its pipes and this test's
    // polling stay real, and the restart delay is passed by moving the clock, not by sleeping through it.
    jest.useFakeTimers({
      doNotFake: [
        'Date',
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
      ],
    });
    let spawns = 0;
    const { supervisor, logs } = supervise(
      { failRuns: 100 },
      { backoff: { initialMs: 200 }, onSpawn: () => spawns++ },
    );
    await waitFor(() => logs.length === 1); // the first run exited and its restart is scheduled
    expect(jest.getTimerCount()).toBe(1);

    await supervisor.stop();

    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(spawns).toBe(1);
    expect(runs()).toHaveLength(1);
  });

  it('sends SIGKILL to an app that ignores SIGTERM once the grace period is over', async () => {
    const { supervisor, logs, output } = supervise({ mode: 'ignore-sigterm' }, { stopGraceMs: 200 });
    await waitFor(() => output.includes('[app] run 1'));

    const startedAt = Date.now();
    await supervisor.stop();

    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(190);
    expect(output).toContain('[app] ignoring SIGTERM');
    expect(logs).toEqual(['app still running 200 ms after SIGTERM; SIGKILL']);
    expect(isAlive(runs()[0].pid)).toBe(false);
  });

  it('keeps retrying an app that cannot even be spawned', async () => {
    const { logs } = supervise({}, { command: path.join(dir, 'no-such-binary') });

    await waitFor(() => logs.length >= 2);
    expect(logs[0]).toMatch(/^app failed to start \(.*ENOENT.*\); restarting in 50 ms \(restart 1\)$/);
    expect(logs[1]).toMatch(/restarting in 100 ms \(restart 2\)$/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
