import { useCallback, useId } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n-context';

/** A webhook's audit trail, newest first: what was done, by whom (a JWT subject, or the platform). */
export function AuditLog({ client, webhookId }: { client: AdminApiClient; webhookId: string }) {
  const { t, formatTime } = useI18n();
  const headingId = useId();
  const { read } = useApi(
    useCallback((signal: AbortSignal) => client.auditLog(webhookId, { signal }), [client, webhookId]),
  );
  const entries = read.data;

  return (
    <section className="audit" aria-labelledby={headingId}>
      <h2 id={headingId}>{t('auditLog')}</h2>
      {read.state === 'failed' ? (
        <p role="alert" className="error">
          {read.error}
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
                <td>{t(`audit${entry.action}`)}</td>
                {entry.actor === 'system' ? (
                  <td>{t('actorSystem')}</td>
                ) : (
                  <td translate="no">{entry.actor}</td>
                )}
                <td className="mono" translate="no">
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
