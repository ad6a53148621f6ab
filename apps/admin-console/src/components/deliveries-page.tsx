import { useCallback, useEffect, useId, useState, type FormEvent } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import { ApiError, toFieldErrors, type FieldErrors } from '../api/api-error';
import {
  DELIVERY_STATUSES,
  type AuditEntry,
  type DeliveryDetail,
  type DeliveryPage,
  type DeliveryStatus,
} from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';
import { errorText } from './error-text';
import { Notice, type NoticeMessage } from './notice';

const PAGE_SIZE = 20;

interface DeliveriesPageProps {
  client: AdminApiClient;
  webhookId: string;
  webhookName: string;
  onBack: () => void;
}

/** One webhook's delivery log (filter, paging, detail, Redeliver), Replay of a time range, audit log. */
export function DeliveriesPage({ client, webhookId, webhookName, onBack }: DeliveriesPageProps) {
  const { t, formatTime } = useI18n();
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  // Cursors of the pages before the current one, so Previous page can go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<DeliveryPage | undefined>();
  const [selected, setSelected] = useState<DeliveryDetail | undefined>();
  const [message, setMessage] = useState<NoticeMessage | undefined>();
  const statusId = useId();
  const cursor = cursors[cursors.length - 1];

  const load = useCallback(async () => {
    try {
      setPage(
        await client.listDeliveries(webhookId, { status: status || undefined, cursor, limit: PAGE_SIZE }),
      );
    } catch (error) {
      setMessage({ text: errorText(error, t), error: true });
    }
  }, [client, webhookId, status, cursor, t]);

  useEffect(() => {
    void load();
  }, [load]);

  async function open(id: string) {
    try {
      setSelected(await client.getDelivery(id));
    } catch (error) {
      setMessage({ text: errorText(error, t), error: true });
    }
  }

  async function redeliver(id: string) {
    try {
      const result = await client.redeliver(id);
      setMessage({ text: t('redelivered', { count: result.eventCount }), error: false });
      await load();
    } catch (error) {
      setMessage({ text: errorText(error, t), error: true });
    }
  }

  return (
    <section aria-labelledby="deliveries-heading">
      <div className="page-head">
        <div>
          <h1 id="deliveries-heading">{t('deliveriesHeading')}</h1>
          <p className="muted">{t('deliveriesOf', { name: webhookName })}</p>
        </div>
        <button type="button" className="link" onClick={onBack}>
          {t('back')}
        </button>
      </div>

      <Notice message={message} />

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
        <button type="button" onClick={() => void load()}>
          {t('refresh')}
        </button>
      </div>

      {!page ? (
        <p>{t('loading')}</p>
      ) : page.items.length === 0 ? (
        <p>{t('noDeliveries')}</p>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('colCreated')}</th>
                <th scope="col">{t('colKind')}</th>
                <th scope="col">{t('colStatus')}</th>
                <th scope="col">{t('colEvents')}</th>
                <th scope="col">{t('colAttempts')}</th>
                <th scope="col">{t('colLastStatusCode')}</th>
                <th scope="col">{t('colLastError')}</th>
                <th scope="col">{t('colActions')}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((delivery) => (
                <tr key={delivery.id} aria-current={selected?.id === delivery.id ? 'true' : undefined}>
                  <td>{formatTime(delivery.createdAt)}</td>
                  <td>{t(`lane${delivery.kind}`)}</td>
                  <td>
                    <span className={`status delivery-${delivery.status.toLowerCase()}`}>
                      {t(`delivery${delivery.status}`)}
                    </span>
                  </td>
                  <td>{delivery.eventNames.join(', ') || delivery.eventCount}</td>
                  <td>{delivery.attemptCount}</td>
                  <td>{delivery.lastStatusCode ?? t('none')}</td>
                  <td>{delivery.lastError ?? t('none')}</td>
                  <td>
                    <button type="button" onClick={() => void open(delivery.id)}>
                      {t('details')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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

      {selected && (
        <DeliveryDetails
          delivery={selected}
          onRedeliver={() => void redeliver(selected.id)}
          onClose={() => setSelected(undefined)}
        />
      )}

      <ReplayForm client={client} webhookId={webhookId} onReplayed={() => void load()} />
      <AuditLog client={client} webhookId={webhookId} />
    </section>
  );
}

function DeliveryDetails({
  delivery,
  onRedeliver,
  onClose,
}: {
  delivery: DeliveryDetail;
  onRedeliver: () => void;
  onClose: () => void;
}) {
  const { t, formatTime } = useI18n();
  const headingId = useId();
  return (
    <section className="delivery-detail" aria-labelledby={headingId}>
      <div className="page-head">
        <h2 id={headingId} tabIndex={-1} ref={(heading) => heading?.focus()}>
          {t('deliveryHeading', { id: delivery.id })}
        </h2>
        <div className="actions">
          <button type="button" onClick={onRedeliver}>
            {t('redeliver')}
          </button>
          <button type="button" onClick={onClose}>
            {t('close')}
          </button>
        </div>
      </div>
      <p>
        {t(`delivery${delivery.status}`)} · {t(`lane${delivery.kind}`)} · {formatTime(delivery.createdAt)}
      </p>
      <h3>{t('deliveryEvents')}</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">{t('colEventName')}</th>
            <th scope="col">{t('colEventId')}</th>
            <th scope="col">{t('colTimestamp')}</th>
          </tr>
        </thead>
        <tbody>
          {delivery.events.map((event) => (
            <tr key={event.eventId}>
              <td>{event.eventName}</td>
              <td className="mono">{event.eventId}</td>
              <td>{formatTime(event.timestamp)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>{t('attempts')}</h3>
      {delivery.attempts.length === 0 ? (
        <p>{t('noAttempts')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('colAttempt')}</th>
              <th scope="col">{t('colStarted')}</th>
              <th scope="col">{t('colStatusCode')}</th>
              <th scope="col">{t('colDuration')}</th>
              <th scope="col">{t('colError')}</th>
              <th scope="col">{t('colResponse')}</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attempts.map((attempt) => (
              <tr key={attempt.attemptNumber}>
                <td>{attempt.attemptNumber}</td>
                <td>{formatTime(attempt.startedAt)}</td>
                <td>{attempt.statusCode ?? t('none')}</td>
                <td>{t('durationMs', { ms: attempt.durationMs })}</td>
                <td>{attempt.error ?? t('none')}</td>
                <td>
                  {attempt.responseSnippet ? (
                    <pre className="snippet">{attempt.responseSnippet}</pre>
                  ) : (
                    t('none')
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ReplayForm({
  client,
  webhookId,
  onReplayed,
}: {
  client: AdminApiClient;
  webhookId: string;
  onReplayed: () => void;
}) {
  const { t } = useI18n();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({ fields: {}, general: [] });
  const [result, setResult] = useState<string | undefined>();
  const base = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setResult(undefined);
    if (!from || !to) {
      setErrors({ fields: {}, general: [t('rangeRequired')] });
      return;
    }
    setErrors({ fields: {}, general: [] });
    try {
      // datetime-local is the admin's local time; the API reads a zoneless time as UTC, so send UTC.
      const replayed = await client.replay(webhookId, toIsoTime(from), toIsoTime(to));
      setResult(
        t('replayed', {
          count: replayed.count,
          realtime: replayed.realtimeEvents,
          batched: replayed.batchedEvents,
        }),
      );
      onReplayed();
    } catch (error) {
      setErrors(
        error instanceof ApiError ? toFieldErrors(error) : { fields: {}, general: [errorText(error, t)] },
      );
    }
  }

  const input = (field: 'from' | 'to', value: string, set: (value: string) => void) => (
    <div className="field inline">
      <label htmlFor={`${base}-${field}`}>{t(field)}</label>
      <input
        id={`${base}-${field}`}
        type="datetime-local"
        step={1}
        value={value}
        aria-invalid={errors.fields[field] ? true : undefined}
        aria-describedby={errors.fields[field] ? `${base}-${field}-error` : undefined}
        onChange={(event) => set(event.target.value)}
      />
      {errors.fields[field] && (
        <p id={`${base}-${field}-error`} className="field-error">
          {errors.fields[field].join(' ')}
        </p>
      )}
    </div>
  );

  return (
    <section className="replay" aria-labelledby={`${base}-heading`}>
      <h2 id={`${base}-heading`}>{t('replayHeading')}</h2>
      <p className="muted">{t('replayIntro')}</p>
      <form onSubmit={(event) => void submit(event)} noValidate className="toolbar">
        {input('from', from, setFrom)}
        {input('to', to, setTo)}
        <button type="submit">{t('replay')}</button>
      </form>
      <div aria-live="polite">
        {errors.general.map((message) => (
          <p key={message} role="alert" className="error">
            {message}
          </p>
        ))}
        {result && (
          <p role="status" className="notice banner">
            {result}
          </p>
        )}
      </div>
    </section>
  );
}

function toIsoTime(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}

function AuditLog({ client, webhookId }: { client: AdminApiClient; webhookId: string }) {
  const { t, formatTime } = useI18n();
  const [entries, setEntries] = useState<AuditEntry[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const headingId = useId();

  useEffect(() => {
    client.auditLog(webhookId).then(setEntries, (failure: unknown) => setError(errorText(failure, t)));
  }, [client, webhookId, t]);

  return (
    <section className="audit" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('auditLog')}</h2>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : !entries ? (
        <p>{t('loading')}</p>
      ) : entries.length === 0 ? (
        <p>{t('noAudit')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('colTime')}</th>
              <th scope="col">{t('colAction')}</th>
              <th scope="col">{t('colActor')}</th>
              <th scope="col">{t('colDetails')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry, index) => (
              <tr key={`${entry.at}-${index}`}>
                <td>{formatTime(entry.at)}</td>
                <td>{entry.action}</td>
                <td>{entry.actor}</td>
                <td className="mono">
                  {Object.keys(entry.details).length ? JSON.stringify(entry.details) : t('none')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
