import { useCallback, useEffect, useId, useState } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import type { Lane, Webhook } from '../api/api-types';
import type { View } from '../app';
import { useI18n } from '../i18n/i18n-context';
import { ConfirmDialog } from './confirm-dialog';
import { errorText } from './error-text';
import { Notice, type NoticeMessage } from './notice';

/** The product's limit (PRODUCT.md); the API refuses a sixth webhook with WEBHOOK_LIMIT_REACHED anyway. */
export const MAX_WEBHOOKS_PER_ACCOUNT = 5;

interface WebhooksPageProps {
  client: AdminApiClient;
  notice?: string;
  onNavigate: (view: View) => void;
}

type LaneHealth = { pendingEvents: number; blockedSince: string | null } | 'unknown';

export function WebhooksPage({ client, notice, onNavigate }: WebhooksPageProps) {
  const { t, formatTime } = useI18n();
  const [webhooks, setWebhooks] = useState<Webhook[] | undefined>();
  const [health, setHealth] = useState<Record<string, LaneHealth>>({});
  const [message, setMessage] = useState<NoticeMessage | undefined>(
    notice ? { text: notice, error: false } : undefined,
  );
  const [toDelete, setToDelete] = useState<Webhook | undefined>();
  const [busy, setBusy] = useState(false);
  const limitId = useId();

  const load = useCallback(async () => {
    try {
      const list = await client.listWebhooks();
      setWebhooks(list);
      // Lane health is on GET /webhooks/:id only; at most 5 webhooks, so one call each is fine.
      const details = await Promise.all(
        list.map(async (webhook) => {
          try {
            return [webhook.id, summarizeLanes((await client.getWebhook(webhook.id)).lanes)] as const;
          } catch {
            return [webhook.id, 'unknown' as const] as const;
          }
        }),
      );
      setHealth(Object.fromEntries(details));
    } catch (error) {
      setMessage({ text: errorText(error, t), error: true });
    }
  }, [client, t]);

  useEffect(() => {
    void load();
  }, [load]);

  async function toggle(webhook: Webhook) {
    try {
      const updated = await client.updateWebhook(webhook.id, { active: !webhook.active });
      setMessage({ text: t(updated.active ? 'activated' : 'retired', { name: webhook.name }), error: false });
    } catch (error) {
      setMessage({ text: errorText(error, t), error: true });
    }
    await load();
  }

  async function confirmDelete(webhook: Webhook) {
    setBusy(true);
    try {
      await client.deleteWebhook(webhook.id);
      setMessage({ text: t('deleted', { name: webhook.name }), error: false });
    } catch (error) {
      setMessage({ text: errorText(error, t), error: true });
    }
    setBusy(false);
    setToDelete(undefined);
    await load();
  }

  const full = (webhooks?.length ?? 0) >= MAX_WEBHOOKS_PER_ACCOUNT;

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
            disabled={!webhooks || full}
            aria-describedby={full ? limitId : undefined}
            onClick={() => onNavigate({ page: 'form' })}
          >
            {t('addWebhook')}
          </button>
          {full && (
            <p id={limitId} className="hint">
              {t('limitReached', { max: MAX_WEBHOOKS_PER_ACCOUNT })}
            </p>
          )}
        </div>
      </div>

      <Notice message={message} />

      {!webhooks ? (
        <p>{t('loading')}</p>
      ) : webhooks.length === 0 ? (
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
              {webhooks.map((webhook) => {
                const lane = health[webhook.id];
                return (
                  <tr key={webhook.id}>
                    <th scope="row">{webhook.name}</th>
                    <td className="url">{webhook.targetUrl}</td>
                    <td>{t(`auth${webhook.authentication.type}`)}</td>
                    <td>{t('eventCount', { count: webhook.events.length })}</td>
                    <td>
                      <input
                        type="checkbox"
                        role="switch"
                        className="switch"
                        checked={webhook.active}
                        aria-label={t('activationFor', { name: webhook.name })}
                        onChange={() => void toggle(webhook)}
                      />
                    </td>
                    <td>
                      <span className={`status status-${webhook.status.toLowerCase()}`}>
                        {t(`status${webhook.status}`)}
                      </span>
                      {webhook.status === 'DISABLED' && webhook.disabledReason && (
                        <span className="reason">
                          {t('disabledReason', { reason: webhook.disabledReason })}
                        </span>
                      )}
                    </td>
                    <td className="lane-health">
                      {lane === undefined ? (
                        t('loading')
                      ) : lane === 'unknown' ? (
                        t('laneUnknown')
                      ) : (
                        <>
                          <span>{t('pendingEvents', { count: lane.pendingEvents })}</span>
                          <span className={lane.blockedSince ? 'error' : undefined}>
                            {lane.blockedSince
                              ? t('blockedSince', { time: formatTime(lane.blockedSince) })
                              : t('notBlocked')}
                          </span>
                        </>
                      )}
                    </td>
                    <td className="row-actions">
                      <button
                        type="button"
                        onClick={() => onNavigate({ page: 'form', webhookId: webhook.id })}
                      >
                        {t('edit')}
                      </button>
                      <button
                        type="button"
                        onClick={() =>
                          onNavigate({ page: 'deliveries', webhookId: webhook.id, webhookName: webhook.name })
                        }
                      >
                        {t('deliveries')}
                      </button>
                      <button type="button" className="danger" onClick={() => setToDelete(webhook)}>
                        {t('delete')}
                      </button>
                    </td>
                  </tr>
                );
              })}
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

/** Both lanes in one line: events waiting, and since when the oldest failing request blocks. */
function summarizeLanes(lanes: Lane[] | undefined): LaneHealth {
  if (!Array.isArray(lanes)) return 'unknown';
  const blocked = lanes
    .map((lane) => lane.blockedSince)
    .filter((since): since is string => typeof since === 'string')
    .sort();
  return {
    pendingEvents: lanes.reduce((sum, lane) => sum + (lane.pendingEvents ?? 0) + (lane.heldEvents ?? 0), 0),
    blockedSince: blocked[0] ?? null,
  };
}
