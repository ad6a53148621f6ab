import { Metrics } from '@lms/observability';
import { buildExampleEvent } from '@lms/payload-schemas';
import type { WebhookSubscriptionCache } from '../subscriptions/webhook-subscription-cache';
import type { IngestedBatch, LaneAppendRepository, WokenLane } from '@lms/webhook-domain';
import { EventIngestionService } from './event-ingestion.service';
import type { SourcedEvent } from './sourced-event';

const dataError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
  code: '22021',
});

/** A record of `events` envelope events at `offset` of partition 0. */
function record(offset: number, events = 1): SourcedEvent[] {
  return Array.from({ length: events }, () => {
    const event = buildExampleEvent('COURSE_ENROLLMENT');
    return {
      event: { ...event, dataJson: JSON.stringify(event.data) },
      partition: 0,
      offset: String(offset),
      kafkaTimestampMs: Date.now(),
    };
  });
}

/**
 * Refuses, like Postgres would, any statement holding an event of the poisoned records. Every statement
 * it accepts flips one lane from idle to busy (named after the statement's first offset), so the test
 * can see which lanes the service wakes.
 */
class RefusingRepository {
  readonly statements: string[][] = [];
  constructor(
    private readonly poisoned: ReadonlySet<string> = new Set(),
    private readonly error: Error & { code?: string } = dataError,
  ) {}
  async storeIngestedBatch(events: ReadonlyArray<{ sourceOffset: string }>): Promise<IngestedBatch> {
    const offsets = [...new Set(events.map(({ sourceOffset }) => sourceOffset))].sort();
    this.statements.push(offsets);
    if (events.some(({ sourceOffset }) => this.poisoned.has(sourceOffset))) throw this.error;
    return { inserted: events.length, appended: events.length, woken: [wokenLane(offsets[0])] };
  }
}

function wokenLane(firstOffset: string): WokenLane {
  return { webhookId: `webhook-${firstOffset}`, kind: 'REALTIME', activation: `tx-${firstOffset}` };
}

function serviceWith(repository: RefusingRepository, metrics = new Metrics()): EventIngestionService {
  const subscriptions: Pick<WebhookSubscriptionCache, 'subscriptionsOf'> = {
    subscriptionsOf: async () => new Map(),
  };
  return new EventIngestionService(
    repository as unknown as LaneAppendRepository,
    subscriptions as WebhookSubscriptionCache,
    metrics,
  );
}

async function counterValue(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return (
    metric?.values.find((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v))?.value ??
    0
  );
}

describe('EventIngestionService: a record Postgres refuses', () => {
  it('splits the batch by record down to the bad ones and stores every other record', async () => {
    const repository = new RefusingRepository(new Set(['3', '6']), dataError);
    const events = [1, 2, 3, 4, 5, 6, 7, 8].flatMap((offset) => record(offset, offset === 5 ? 3 : 1));

    const result = await serviceWith(repository).ingest(events);

    expect(result.rejected).toEqual([
      {
        partition: 0,
        offset: '3',
        reason: 'Postgres refused the record: invalid byte sequence for encoding "UTF8": 0x00',
      },
      {
        partition: 0,
        offset: '6',
        reason: 'Postgres refused the record: invalid byte sequence for encoding "UTF8": 0x00',
      },
    ]);
    expect(result.inserted).toBe(8); // 6 single-event records and the 3-event envelope at offset 5
    expect(result.duplicates).toBe(0);
    // Whole batch, halves, quarters, then the single bad records: an envelope is never split apart.
    expect(repository.statements).toEqual([
      ['1', '2', '3', '4', '5', '6', '7', '8'],
      ['1', '2', '3', '4'],
      ['1', '2'],
      ['3', '4'],
      ['3'],
      ['4'],
      ['5', '6', '7', '8'],
      ['5', '6'],
      ['5'],
      ['6'],
      ['7', '8'],
    ]);
  });

  it('throws (so the whole batch is retried) when the error is about the database, not a record', async () => {
    const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: undefined });
    const repository = new RefusingRepository(new Set(['1']), lost);

    await expect(serviceWith(repository).ingest(record(1))).rejects.toBe(lost);
    expect(repository.statements).toHaveLength(1);
  });
});

describe('EventIngestionService: the lanes the batch woke', () => {
  it('answers and counts every lane the stored statements flipped (their commits announced them)', async () => {
    const repository = new RefusingRepository(new Set(['3']));
    const metrics = new Metrics();

    const result = await serviceWith(repository, metrics).ingest([1, 2, 3, 4].flatMap((o) => record(o)));

    // Statements 1-4 and 3-4 and 3 were refused; 1-2 and 4 were stored, each flipping one lane.
    expect(result.wokenLanes).toEqual([wokenLane('1'), wokenLane('4')]);
    expect(await counterValue(metrics, 'lmsw_lane_wakeups_total', { source: 'ingestion' })).toBe(2);
  });

  it('stores nothing and wakes nothing for an empty batch', async () => {
    const repository = new RefusingRepository();

    const result = await serviceWith(repository).ingest([]);

    expect(repository.statements).toEqual([]);
    expect(result.wokenLanes).toEqual([]);
  });
});

describe('EventIngestionService: the kafka_to_commit stage', () => {
  it('observes each stored event once, from its record timestamp to the commit, and none of a refused record', async () => {
    const metrics = new Metrics();
    const events = [1, 2, 3].flatMap((offset) => record(offset));
    events[0].kafkaTimestampMs = Date.now() - 4000; // 4 s old: lands above the 3 s bucket
    events[1].kafkaTimestampMs = Date.now() - 4000;

    await serviceWith(new RefusingRepository(new Set(['3'])), metrics).ingest(events);

    const stage = (await metrics.laneStage.get()).values;
    const of = (suffix: string, le?: number) =>
      stage.find(
        (v) =>
          v.metricName === `lmsw_lane_stage_seconds${suffix}` &&
          v.labels.stage === 'kafka_to_commit' &&
          (le === undefined || (v.labels as Record<string, unknown>).le === le),
      )?.value;
    expect(of('_count')).toBe(2); // offsets 1 and 2 stored, 3 refused
    expect(of('_bucket', 2)).toBe(0);
    expect(of('_bucket', 5)).toBe(2);
  });
});
