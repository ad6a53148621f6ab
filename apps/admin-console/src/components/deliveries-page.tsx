import { useCallback, useId, useState } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import { DELIVERY_STATUSES, type DeliveryDetail, type DeliveryStatus } from '../api/api-types';
import { describeApiError } from '../api/describe-api-error';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n-context';
import type { Route } from '../routing/routes';
import { AuditLog } from './audit-log';
import { DeliveryDetails } from './delivery-details';
import { DeliveryTable } from './delivery-table';
import { Notice, type NoticeMessage } from './notice';
import { ReplayForm } from './replay-form';

const PAGE_SIZE = 20;

interface DeliveriesPageProps {
  client: AdminApiClient;
  webhookId: string;
  /** The delivery whose details are open (it is in the URL, so it has a link). */
  deliveryId?: string;
  onNavigate: (route: Route) => void;
}

/** One webhook's delivery log (filter, paging, detail, Redeliver), Replay of a time range, audit log. */
export function DeliveriesPage({ client, webhookId, deliveryId, onNavigate }: DeliveriesPageProps) {
  const { t } = useI18n();
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  // Cursors of the pages before the current one, so Previous page can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [message, setMessage] = useState<NoticeMessage | undefined>();
  const statusId = useId();
  const cursor = cursors[cursors.length - 1];

  const webhook = useApi(
    useCallback((signal: AbortSignal) => client.getWebhook(webhookId, { signal }), [client, webhookId]),
  );
  const { read, reload } = useApi(
    useCallback(
      (signal: AbortSignal) =>
        client.listDeliveries(
          webhookId,
          { status: status || undefined, cursor, limit: PAGE_SIZE },
          { signal },
        ),
      [client, webhookId, status, cursor],
    ),
  );

  async function redeliver(delivery: DeliveryDetail) {
    try {
      const result = await client.redeliver(delivery.id);
      setMessage({ text: t('redelivered', { count: result.eventCount }), error: false });
      reload();
    } catch (error) {
      setMessage({ text: describeApiError(error, t), error: true });
    }
  }

  const page = read.data;
  const problem = read.error ?? webhook.read.error;
  return (
    <section aria-labelledby="deliveries-heading">
      <div className="page-head">
        <div>
          <h1 id="deliveries-heading">{t('deliveriesHeading')}</h1>
          {webhook.read.data && (
            <p className="muted">{t('deliveriesOf', { name: webhook.read.data.name })}</p>
          )}
        </div>
        <button type="button" className="link" onClick={() => onNavigate({ page: 'list' })}>
          {t('back')}
        </button>
      </div>

      <Notice message={problem ? { text: problem, error: true } : message} />

      <div className="toolbar">
        <label htmlFor={statusId}>{t('status')}</label>
        <select
          id={statusId}
          value={status}
          onChange={(event) => {
            setStatus(event.target.value as DeliveryStatus | '');
            setCursors([undefined]);
          }}
        >
          <option value="">{t('allStatuses')}</option>
          {DELIVERY_STATUSES.map((value) => (
            <option key={value} value={value}>
              {t(`delivery${value}`)}
            </option>
          ))}
        </select>
        <button type="button" onClick={reload}>
          {t('refresh')}
        </button>
      </div>

      {page ? (
        <DeliveryTable
          page={page}
          selectedId={deliveryId}
          onOpen={(id) => onNavigate({ page: 'deliveries', webhookId, deliveryId: id })}
        />
      ) : (
        read.state === 'loading' && <p>{t('loading')}</p>
      )}

      <nav className="pager" aria-label={t('deliveriesHeading')}>
        <button
          type="button"
          disabled={cursors.length <= 1}
          onClick={() => setCursors((current) => current.slice(0, -1))}
        >
          {t('previousPage')}
        </button>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            const next = page?.nextCursor;
            if (next) setCursors((current) => [...current, next]);
          }}
        >
          {t('nextPage')}
        </button>
      </nav>

      {deliveryId && (
        <DeliveryDetails
          key={deliveryId}
          client={client}
          webhookId={webhookId}
          deliveryId={deliveryId}
          onRedeliver={(delivery) => void redeliver(delivery)}
          onClose={() => onNavigate({ page: 'deliveries', webhookId })}
        />
      )}

      <ReplayForm client={client} webhookId={webhookId} onReplayed={reload} />
      <AuditLog client={client} webhookId={webhookId} />
    </section>
  );
}
