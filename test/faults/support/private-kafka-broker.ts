import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@lms/testing';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');

/**
 * A second single-node broker, in a temporary KAFKA_DIR on free ports, run by the project's own
 * scripts/kafka.sh: the shared broker on 9092 serves every other test and must never be restarted.
 * The jars are the shared ones (symlinked, so kafka.sh finds its pom stamp and fetches nothing).
 * Its data survives stop/start, as a real broker restart's does.
 */
export class PrivateKafkaBroker {
  private constructor(
    readonly directory: string,
    readonly port: number,
    readonly controllerPort: number,
  ) {}

  static async start(): Promise<PrivateKafkaBroker> {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'lmsw-fault-kafka-'));
    symlinkSync(path.join(ROOT, '.kafka/libs'), path.join(directory, 'libs'));
    const broker = new PrivateKafkaBroker(directory, await freePort(), await freePort());
    await broker.script('start');
    return broker;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  /** A clean broker restart (SIGTERM, wait for exit, start, wait until clients can use it). */
  async restart(downMs = 1_000): Promise<void> {
    await this.script('stop');
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.script('start');
  }

  async stopAndRemove(): Promise<void> {
    await this.script('stop').catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    await run('bash', [path.join(ROOT, 'scripts/kafka.sh'), command], {
      env: {
        ...process.env,
        KAFKA_DIR: this.directory,
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.controllerPort),
        KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
      },
      timeout: 180_000,
    });
  }
}
