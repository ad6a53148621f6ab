import { useCallback, useId, useState } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import type { WebhookDetail } from '../api/api-types';
import { describeApiError } from '../api/describe-api-error';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n-context';
import type { Route } from '../routing/routes';
import { ConfirmDialog } from './confirm-dialog';
import { Notice, type NoticeMessage } from './notice';
import { WebhookRow } from './webhook-row';

interface WebhooksPageProps {
  client: AdminApiClient;
  notice?: string;
  onNavigate: (route: Route) => void;
}

/** The account's webhooks in one request (GET /webhooks carries lanes and the account's limit). */
export function WebhooksPage({ client, notice, onNavigate }: WebhooksPageProps) {
  const { t } = useI18n();
  const { read, reload } = useApi(
    useCallback((signal: AbortSignal) => client.listWebhooks({ signal }), [client]),
  );
  const [message, setMessage] = useState<NoticeMessage | undefined>(
    notice ? { text: notice, error: false } : undefined,
  );
  const [toDelete, setToDelete] = useState<WebhookDetail | undefined>();
  const [busy, setBusy] = useState(false);
  const limitId = useId();

  async function toggle(webhook: WebhookDetail) {
    try {
      const updated = await client.updateWebhook(webhook.id, { active: !webhook.active });
      setMessage({ text: t(updated.active ? 'activated' : 'retired', { name: webhook.name }), error: false });
    } catch (error) {
      setMessage({ text: describeApiError(error, t), error: true });
    }
    reload();
  }

  async function confirmDelete(webhook: WebhookDetail) {
    setBusy(true);
    try {
      await client.deleteWebhook(webhook.id);
      setMessage({ text: t('deleted', { name: webhook.name }), error: false });
    } catch (error) {
      setMessage({ text: describeApiError(error, t), error: true });
    }
    setBusy(false);
    setToDelete(undefined);
    reload();
  }

  const list = read.data;
  const limit = list?.limit;
  const full = list !== undefined && limit !== undefined && list.webhooks.length >= limit;

  return (
    <section aria-labelledby="webhooks-heading">
      <div className="page-head">
        <div>
          <h1 id="webhooks-heading">{t('webhooks')}</h1>
          <p className="muted">{t('webhooksIntro')}</p>
        </div>
        <div className="add-webhook">
          <button
            type="button"
            className="primary"
            disabled={!list || full}
            aria-describedby={full ? limitId : undefined}
            onClick={() => onNavigate({ page: 'add' })}
          >
            {t('addWebhook')}
          </button>
          {full && (
            <p id={limitId} className="hint">
              {t('limitReached', { count: limit, max: limit })}
            </p>
          )}
        </div>
      </div>

      <Notice message={read.state === 'failed' ? { text: read.error, error: true } : message} />

      {read.state === 'loading' ? (
        <p>{t('loading')}</p>
      ) : !list ? null : list.webhooks.length === 0 ? (
        <p>{t('noWebhooks')}</p>
      ) : (
        <div className="table-wrap">
          <table className="webhooks">
            <thead>
              <tr>
                <th scope="col">{t('colName')}</th>
                <th scope="col">{t('colTargetUrl')}</th>
                <th scope="col">{t('colAuthentication')}</th>
                <th scope="col">{t('colTriggerEvents')}</th>
                <th scope="col">{t('colActivation')}</th>
                <th scope="col">{t('colStatus')}</th>
                <th scope="col">{t('colLaneHealth')}</th>
                <th scope="col">{t('colActions')}</th>
              </tr>
            </thead>
            <tbody>
              {list.webhooks.map((webhook) => (
                <WebhookRow
                  key={webhook.id}
                  webhook={webhook}
                  onToggle={(target) => void toggle(target)}
                  onDelete={setToDelete}
                  onNavigate={onNavigate}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {toDelete && (
        <ConfirmDialog
          heading={t('confirmDeleteHeading')}
          text={t('confirmDeleteText', { name: toDelete.name })}
          confirmLabel={t('delete')}
          busy={busy}
          onConfirm={() => void confirmDelete(toDelete)}
          onCancel={() => setToDelete(undefined)}
        />
      )}
    </section>
  );
}
