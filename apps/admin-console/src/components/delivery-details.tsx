import { useCallback, useEffect, useId, useRef } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import type { DeliveryDetail } from '../api/api-types';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n-context';
import { routePath } from '../routing/routes';

interface DeliveryDetailsProps {
  client: AdminApiClient;
  webhookId: string;
  deliveryId: string;
  onRedeliver: (delivery: DeliveryDetail) => void;
  onClose: () => void;
}

/** One delivery (its own URL): its events and every attempt. Its heading takes focus once, when it opens. */
export function DeliveryDetails({
  client,
  webhookId,
  deliveryId,
  onRedeliver,
  onClose,
}: DeliveryDetailsProps) {
  const { t, formatTime } = useI18n();
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const { read } = useApi(
    useCallback((signal: AbortSignal) => client.getDelivery(deliveryId, { signal }), [client, deliveryId]),
  );
  const delivery = read.data;
  const shownId = delivery?.id;
  useEffect(() => {
    // Once per delivery shown, not on every render: focus moving under the admin's hands loses their place.
    if (shownId) heading.current?.focus();
  }, [shownId]);

  if (read.state === 'failed')
    return (
      <p role="alert" className="error banner">
        {read.error}
      </p>
    );
  if (!delivery) return <p>{t('loading')}</p>;
  return (
    <section className="delivery-detail" aria-labelledby={headingId}>
      <div className="page-head">
        <h2 id={headingId} tabIndex={-1} ref={heading}>
          {t('deliveryHeading', { id: delivery.id })}
        </h2>
        <div className="actions">
          <button type="button" onClick={() => onRedeliver(delivery)}>
            {t('redeliver')}
          </button>
          <button type="button" onClick={onClose}>
            {t('close')}
          </button>
        </div>
      </div>
      <p>
        {t(`delivery${delivery.status}`)} · {t(`lane${delivery.kind}`)} · {formatTime(delivery.createdAt)} ·{' '}
        <a href={routePath({ page: 'deliveries', webhookId, deliveryId: delivery.id })}>
          {t('deliveryLink')}
        </a>
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
              <td translate="no">{event.eventName}</td>
              <td className="mono" translate="no">
                {event.eventId}
              </td>
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
              <th scope="col">{t('colTraceId')}</th>
            </tr>
          </thead>
          <tbody>
            {delivery.attempts.map((attempt) => (
              <tr key={attempt.attemptNumber}>
                <td>{attempt.attemptNumber}</td>
                <td>{formatTime(attempt.startedAt)}</td>
                <td>{attempt.statusCode ?? t('none')}</td>
                <td>{t('durationMs', { ms: attempt.durationMs })}</td>
                <td translate="no">{attempt.error ?? t('none')}</td>
                <td>
                  {attempt.responseSnippet ? (
                    <pre className="snippet" translate="no">
                      {attempt.responseSnippet}
                    </pre>
                  ) : (
                    t('none')
                  )}
                </td>
                {/* The id to look the attempt up by in the trace backend (tracing on). */}
                <td className="mono" translate="no">
                  {attempt.traceId ?? t('none')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
