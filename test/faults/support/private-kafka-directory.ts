import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

/**
 * A temporary KAFKA_DIR for a fault test's own Kafka, run by the project's scripts/kafka.sh (the same
 * start, readiness wait and stop as `npm start`'s broker), so the shared broker on 9092 that serves
 * every other test is never touched. The jars are the shared ones (symlinked, so kafka.sh finds its
 * pom stamp and fetches nothing). Used by the single private broker and the private cluster alike.
 */
export class PrivateKafkaDirectory {
  private constructor(readonly path: string) {}

  static create(): PrivateKafkaDirectory {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'lmsw-fault-kafka-'));
    symlinkSync(path.join(ROOT, '.kafka/libs'), path.join(directory, 'libs'));
    return new PrivateKafkaDirectory(directory);
  }

  /** `bash scripts/kafka.sh <args>` with KAFKA_DIR set to this directory, plus `env`. */
  async script(args: readonly string[], env: Record<string, string>): Promise<void> {
    await run('bash', [path.join(ROOT, 'scripts/kafka.sh'), ...args], {
      env: { ...process.env, ...env, KAFKA_DIR: this.path },
      // Three JVMs starting together on a loaded 2-core machine: kafka.sh itself gives up after 120 s.
      timeout: 180_000,
    });
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
