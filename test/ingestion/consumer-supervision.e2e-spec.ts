import { deleteTestTopics, waitFor } from '@lms/testing';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bootstrap } from '../../apps/event-ingestion/src/main';
import { createIngestionTestEnv, type IngestionTestEnv } from './support/ingestion-test-env';

jest.setTimeout(120_000);

/**
 * A broker fault kafkajs will not retry: the broker refuses to let the consumer join its group
 * (a session timeout above the broker's group.max.session.timeout.ms, 30 min by default). The
 * process stays up, so readiness must say the consumer is not consuming, the stop must be counted,
 * and the supervisor must keep trying.
 */
describe('ingestion: a consumer that cannot consume is reported, not hidden', () => {
  let env: IngestionTestEnv;
  let app: INestApplication;
  let port: number;

  beforeAll(async () => {
    env = await createIngestionTestEnv('supervision', { KAFKA_SESSION_TIMEOUT_MS: '1h' });
    app = await bootstrap(env.config, { handleSignals: false });
    port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  });

  afterAll(async () => {
    await app?.close();
    await env?.database.drop();
    await deleteTestTopics([env.config.kafka.eventsTopic, env.config.kafka.dlqTopic]);
  });

  const metric = async (name: string): Promise<string[]> => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text.split('\n').filter((line) => line.startsWith(name));
  };

  it('fails readiness with the reason, counts each stop and restarts with backoff', async () => {
    const stops = await waitFor(
      'two consumer stops',
      async () => {
        const lines = await metric('lmsw_consumer_stops_total');
        const total = lines.reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
        return total >= 2 ? lines : undefined;
      },
      60_000,
    );

    const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
    const body = (await response.json()) as { error?: Record<string, { status: string; message?: string }> };
    expect(response.status).toBe(503);
    expect(body.error?.['kafka-consumer']?.status).toBe('down');
    expect(body.error?.['kafka-consumer']?.message).toMatch(/consumer stopped at lms\.events\.supervision/);
    expect(stops.join('\n')).toMatch(/lmsw_consumer_stops_total\{restart="supervisor"\} [2-9]/);
    expect(await metric('lmsw_consumer_running ')).toEqual(['lmsw_consumer_running 0']);
  });
});
