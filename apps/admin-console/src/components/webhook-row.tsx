import type { WebhookDetail } from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';
import type { Route } from '../routing/routes';
import { LaneHealth } from './lane-health';

interface WebhookRowProps {
  webhook: WebhookDetail;
  onToggle: (webhook: WebhookDetail) => void;
  onDelete: (webhook: WebhookDetail) => void;
  onNavigate: (route: Route) => void;
}

/** One webhook of the list: what it sends where, its switch, its status, its lanes, and what to do with it. */
export function WebhookRow({ webhook, onToggle, onDelete, onNavigate }: WebhookRowProps) {
  const { t } = useI18n();
  return (
    <tr>
      <th scope="row" translate="no">
        {webhook.name}
      </th>
      <td className="url" translate="no">
        {webhook.targetUrl}
      </td>
      <td>{t(`auth${webhook.authentication.type}`)}</td>
      <td>{t('eventCount', { count: webhook.events.length })}</td>
      <td>
        <input
          type="checkbox"
          role="switch"
          className="switch"
          checked={webhook.active}
          aria-label={t('activationFor', { name: webhook.name })}
          onChange={() => onToggle(webhook)}
        />
      </td>
      <td>
        <span className={`status status-${webhook.status.toLowerCase()}`}>
          {t(`status${webhook.status}`)}
        </span>
        {webhook.status === 'DISABLED' && webhook.disabledReason && (
          <span className="reason" translate="no">
            {t('disabledReason', { reason: webhook.disabledReason })}
          </span>
        )}
      </td>
      <td className="lane-health">
        <LaneHealth lanes={webhook.lanes} />
      </td>
      <td className="row-actions">
        <button type="button" onClick={() => onNavigate({ page: 'edit', webhookId: webhook.id })}>
          {t('edit')}
        </button>
        <button type="button" onClick={() => onNavigate({ page: 'deliveries', webhookId: webhook.id })}>
          {t('deliveries')}
        </button>
        <button type="button" className="danger" onClick={() => onDelete(webhook)}>
          {t('delete')}
        </button>
      </td>
    </tr>
  );
}
