import { useId } from 'react';
import type { TestResult } from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';

/** Test Webhook's answer: delivered or not, status, time, the event sent, the listener's response. */
export function TestOutcome({ testing, result }: { testing: boolean; result?: TestResult }) {
  const { t } = useI18n();
  const headingId = useId();
  return (
    <section className="test-result" aria-labelledby={headingId} aria-live="polite" role="status">
      {(testing || result) && <h2 id={headingId}>{t('testResult')}</h2>}
      {testing && <p>{t('testing')}</p>}
      {result && (
        <>
          <p className={result.delivered ? 'ok' : 'error'}>
            {t(result.delivered ? 'testDelivered' : 'testNotDelivered')}
          </p>
          <ul className="facts">
            <li>
              {result.statusCode === null
                ? t('testNoStatus')
                : t('testStatusCode', { code: result.statusCode })}
            </li>
            <li>{t('testDuration', { ms: result.durationMs })}</li>
            <li>{t('testEvent', { event: result.eventName })}</li>
            {result.error && (
              <li className="error" translate="no">
                {t('testError', { error: result.error })}
              </li>
            )}
          </ul>
          {result.responseBody && (
            <>
              <h3>{t('testResponse')}</h3>
              <pre className="snippet" translate="no">
                {result.responseBody}
              </pre>
            </>
          )}
        </>
      )}
    </section>
  );
}
