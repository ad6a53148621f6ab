import { Metrics } from '@lms/observability';
import { buildExampleEvent } from '@lms/payload-schemas';
import type { DeliveryEnqueuer } from '../queue/delivery-enqueuer';
import type { WebhookSubscriptionCache } from '../subscriptions/webhook-subscription-cache';
import type { IngestedBatch, LaneRepository } from '@lms/webhook-domain';
import { EventIngestionService } from './event-ingestion.service';
import type { SourcedEvent } from './sourced-event';

/** A record of `events` envelope events at `offset` of partition 0. */
function record(offset: number, events = 1): SourcedEvent[] {
  return Array.from({ length: events }, () => {
    const event = buildExampleEvent('COURSE_ENROLLMENT');
    return {
      event: { ...event, dataJson: JSON.stringify(event.data) },
      partition: 0,
      offset: String(offset),
    };
  });
}

/** Refuses, like Postgres would, any statement holding an event of the poisoned records. */
class RefusingRepository {
  readonly statements: string[][] = [];
  constructor(
    private readonly poisoned: ReadonlySet<string>,
    private readonly error: Error & { code?: string },
  ) {}
  async storeIngestedBatch(events: ReadonlyArray<{ sourceOffset: string }>): Promise<IngestedBatch> {
    this.statements.push([...new Set(events.map(({ sourceOffset }) => sourceOffset))].sort());
    if (events.some(({ sourceOffset }) => this.poisoned.has(sourceOffset))) throw this.error;
    return { inserted: events.length, appended: 0, woken: [] };
  }
}

function serviceWith(repository: RefusingRepository): EventIngestionService {
  const subscriptions = { subscriptionsOf: async () => new Map() } as unknown as WebhookSubscriptionCache;
  const enqueuer = { enqueue: async () => undefined } as unknown as DeliveryEnqueuer;
  return new EventIngestionService(
    repository as unknown as LaneRepository,
    subscriptions,
    enqueuer,
    new Metrics(),
  );
}

const dataError = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), {
  code: '22021',
});

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
