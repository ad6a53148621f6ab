import type { DeliveryPage } from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';

interface DeliveryTableProps {
  page: DeliveryPage;
  selectedId: string | undefined;
  onOpen: (deliveryId: string) => void;
}

/** One page of a webhook's delivery log, newest first. */
export function DeliveryTable({ page, selectedId, onOpen }: DeliveryTableProps) {
  const { t, formatTime } = useI18n();
  if (page.items.length === 0) return <p>{t('noDeliveries')}</p>;
  return (
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
            <tr key={delivery.id} aria-current={selectedId === delivery.id ? 'true' : undefined}>
              <td>{formatTime(delivery.createdAt)}</td>
              <td>{t(`lane${delivery.kind}`)}</td>
              <td>
                <span className={`status delivery-${delivery.status.toLowerCase()}`}>
                  {t(`delivery${delivery.status}`)}
                </span>
              </td>
              <td translate="no">{delivery.eventNames.join(', ') || delivery.eventCount}</td>
              <td>{delivery.attemptCount}</td>
              <td>{delivery.lastStatusCode ?? t('none')}</td>
              <td translate="no">{delivery.lastError ?? t('none')}</td>
              <td>
                <button type="button" onClick={() => onOpen(delivery.id)}>
                  {t('details')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
