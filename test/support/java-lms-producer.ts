import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from './app-processes';
import { TEST_KAFKA_BROKERS } from './kafka-test-topics';

/** One step of a Java producer scenario (see test/support/java/LmsJavaProducer.java). */
export type JavaProducerStep =
  | {
      op: 'send';
      producer?: string;
      /** null sends a null key. */
      key: string | null;
      value: string | null;
      headers?: Record<string, string>;
      partition?: number;
    }
  | { op: 'begin' | 'commit' | 'abort' | 'flush'; producer?: string };

export interface JavaProducerOptions {
  transactional?: boolean;
  compression?: JavaCompression;
  idempotence?: boolean;
  /** Any further producer property, e.g. { 'max.request.size': '8388608' }. */
  config?: Record<string, string>;
}

export type JavaCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface JavaProducerScenario {
  bootstrap?: string;
  topic: string;
  compression?: JavaCompression;
  idempotence?: boolean;
  config?: Record<string, string>;
  producers?: Record<string, JavaProducerOptions>;
  steps: JavaProducerStep[];
}

/** Where the broker put an acknowledged record. */
export interface JavaProducerAck {
  step: number;
  producer: string;
  partition: number;
  offset: string;
}

// kafka-clients and what its compressions and our scenario parser need, all on the broker's own
// classpath: scripts/kafka.sh copies the broker's jars (infra/kafka/pom.xml) into $KAFKA_DIR/libs.
const CLIENT_JARS = [
  'kafka-clients',
  'lz4-java',
  'snappy-java',
  'zstd-jni',
  'slf4j-api',
  'jackson-core',
  'jackson-databind',
  'jackson-annotations',
];

const ROOT = repositoryRoot();
const SOURCE = path.join(ROOT, 'test/support/java/LmsJavaProducer.java');

/** The Java client's classpath, from the jars scripts/kafka.sh fetched for the broker. */
export function javaClientClasspath(libs = javaClientLibs()): string {
  const files = existsSync(libs) ? readdirSync(libs) : [];
  return CLIENT_JARS.map((artifact) => {
    const jar = files.find((file) => new RegExp(`^${artifact}-\\d[^/]*\\.jar$`).test(file));
    if (!jar) {
      throw new Error(
        `${artifact}-*.jar not found in ${libs}: run \`npm run kafka -- jars\` (scripts/kafka.sh fetches the broker's jars)`,
      );
    }
    return path.join(libs, jar);
  }).join(path.delimiter);
}

function javaClientLibs(): string {
  return path.join(process.env.KAFKA_DIR ?? path.join(ROOT, '.kafka'), 'libs');
}

/**
 * Runs the scenario with the official Java client (JDK 17+ single-file launch, compiled in memory,
 * ~2 s) and resolves with every record's partition and offset once all were acknowledged; rejects
 * with the program's stderr when anything was not.
 */
export async function runJavaProducer(
  scenario: JavaProducerScenario,
  timeoutMs = 60_000,
): Promise<JavaProducerAck[]> {
  const child = spawn('java', ['-Dslf4j.internal.verbosity=ERROR', '-cp', javaClientClasspath(), SOURCE], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  child.stdin.end(JSON.stringify({ bootstrap: TEST_KAFKA_BROKERS.join(','), ...scenario }));
  const code = await exit.finally(() => clearTimeout(timer));
  if (code !== 0) {
    throw new Error(
      `LmsJavaProducer exited ${code ?? 'on a signal (timeout?)'}: ${Buffer.concat(stderr).toString().trim()}`,
    );
  }
  return Buffer.concat(stdout)
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      const ack = JSON.parse(line) as { step: number; producer: string; partition: number; offset: number };
      return { ...ack, offset: String(ack.offset) };
    });
}
