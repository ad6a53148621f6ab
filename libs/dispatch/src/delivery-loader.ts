import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  OPEN_DELIVERY_STATUSES_SQL,
  returnedRows,
  type DeliveryKind,
  type DeliveryStatus,
} from '@lms/webhook-domain';
import type { EnvelopeEvent } from '@lms/http-delivery';
import { DataSource } from 'typeorm';
import { MicroBatcher } from './micro-batcher';
import { withConnection } from './with-connection';

export interface LoadedDelivery {
  id: string;
  webhookId: string;
  accountId: number;
  /** Its lane: the webhook's REALTIME or BATCH lane. */
  kind: DeliveryKind;
  status: DeliveryStatus;
  attemptCount: number;
  createdAt: Date;
  /** In position order; empty unless the delivery is still open. */
  events: EnvelopeEvent[];
}

interface LoaderRow {
  id: string;
  webhook_id: string;
  account_id: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  attempt_count: number;
  created_at: Date;
  event_id: string | null;
  event_name: string | null;
  occurred_at: string | null;
  event_info: string | null;
  data: string | null;
  trace_parent: string | null;
}

/**
 * Loads deliveries with their events for the jobs running now: the ids of concurrent jobs, one query.
 * `data::text` hands over the JSON exactly as stored, to be placed verbatim in the body.
 */
@Injectable()
export class DeliveryLoader {
  private readonly batcher = new MicroBatcher<string, LoadedDelivery | null>((ids) => this.loadMany(ids), {
    maxSize: 200,
    maxInFlight: 2,
  });

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  load(deliveryId: string): Promise<LoadedDelivery | null> {
    return this.batcher.submit(deliveryId);
  }

  private async loadMany(ids: string[]): Promise<Array<LoadedDelivery | null>> {
    const rows = await withConnection(this.dataSource, async (runner) =>
      returnedRows<LoaderRow>(
        await runner.query(
          `SELECT d.id, d.webhook_id, d.account_id, d.kind, d.status, d.attempt_count, d.created_at,
                e.event_id, e.event_name, e.occurred_at, e.event_info, e.data::text AS data, e.trace_parent
           FROM deliveries d
           LEFT JOIN delivery_events de ON de.delivery_id = d.id AND d.status IN ${OPEN_DELIVERY_STATUSES_SQL}
           LEFT JOIN events e ON e.id = de.event_pk AND e.occurred_at = de.event_occurred_at
          WHERE d.id = ANY($1::uuid[])
          ORDER BY d.id, de.position`,
          [[...new Set(ids)]],
        ),
      ),
    );
    const byId = new Map<string, LoadedDelivery>();
    for (const row of rows) {
      let delivery = byId.get(row.id);
      if (!delivery) {
        delivery = {
          id: row.id,
          webhookId: row.webhook_id,
          accountId: Number(row.account_id),
          kind: row.kind,
          status: row.status,
          attemptCount: row.attempt_count,
          createdAt: row.created_at,
          events: [],
        };
        byId.set(row.id, delivery);
      }
      if (row.event_id !== null) {
        delivery.events.push({
          eventId: row.event_id,
          eventName: row.event_name ?? '',
          timestamp: Number(row.occurred_at),
          eventInfo: row.event_info ?? '',
          dataJson: row.data ?? 'null',
          ...(row.trace_parent ? { traceParent: row.trace_parent } : {}),
        });
      }
    }
    return ids.map((id) => byId.get(id) ?? null);
  }
}
