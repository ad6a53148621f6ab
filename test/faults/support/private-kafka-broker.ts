import { freePort } from '@lms/testing';
import { PrivateKafkaDirectory } from './private-kafka-directory';

/**
 * A second single-node broker, in a temporary KAFKA_DIR on free ports, run by the project's own
 * scripts/kafka.sh: the shared broker on 9092 serves every other test and must never be restarted.
 * Its data survives stop/start, as a real broker restart's does.
 */
export class PrivateKafkaBroker {
  private constructor(
    private readonly home: PrivateKafkaDirectory,
    readonly port: number,
    readonly controllerPort: number,
  ) {}

  static async start(): Promise<PrivateKafkaBroker> {
    const broker = new PrivateKafkaBroker(PrivateKafkaDirectory.create(), await freePort(), await freePort());
    await broker.script('start');
    return broker;
  }

  /** The broker's KAFKA_DIR (data, config, log). */
  get directory(): string {
    return this.home.path;
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
    this.home.remove();
  }

  private async script(command: 'start' | 'stop'): Promise<void> {
    await this.home.script([command], {
      KAFKA_PORT: String(this.port),
      KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      KAFKA_HEAP_OPTS: '-Xms128m -Xmx512m',
    });
  }
}
