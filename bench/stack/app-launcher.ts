import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitFor, type AppName, type AppProcess } from '@lms/testing';

const PORT_VARIABLE: Record<AppName, string> = {
  'admin-api': 'ADMIN_API_PORT',
  'event-ingestion': 'INGESTION_PORT',
  dispatcher: 'DISPATCHER_PORT',
};

/** The repository root, whether this file runs from source (ts-jest/swc) or from dist/. */
export function repositoryRoot(from = __dirname): string {
  let directory = from;
  while (!existsSync(path.join(directory, 'package.json')) || path.basename(directory) === 'dist') {
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${from}`);
    directory = parent;
  }
  return directory;
}

/**
 * Starts one app from dist/ as production runs it and waits for /health/ready. Same contract as
 * @lms/testing's startAppProcess, but usable from compiled code too (the bench runs from dist/, where
 * that helper's root, relative to its own file, points into dist/), and it fails at once when the
 * child exits instead of polling until the timeout.
 */
export async function launchApp(
  name: AppName,
  env: Record<string, string>,
  readyTimeoutMs = 90_000,
): Promise<AppProcess> {
  const port = await freePort();
  const root = repositoryRoot();
  const child = spawn(process.execPath, [path.join(root, 'dist/apps', name, 'src/main.js')], {
    cwd: root,
    env: { ...process.env, ...env, [PORT_VARIABLE[name]]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 400) output.shift();
    if (process.env.BENCH_APP_OUTPUT === '1') process.stderr.write(`[${name}] ${chunk.toString()}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    await waitFor(
      `${name} to be ready on port ${port}`,
      async () => {
        if (gone) return { exited: true };
        const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
        return response?.status === 200 ? { exited: false } : undefined;
      },
      readyTimeoutMs,
      200,
    ).then((state) => {
      if (state.exited)
        throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode} before it was ready`);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n--- ${name} output ---\n${output.join('').slice(-4000)}`, {
      cause: error,
    });
  }
  return { name, port, child, output, exited };
}
