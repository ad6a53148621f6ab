import type { Lane } from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';

/** Both lanes in one cell: events waiting (held batch events included), and since when a failing request blocks. */
export function LaneHealth({ lanes }: { lanes: Lane[] }) {
  const { t, formatTime } = useI18n();
  const pendingEvents = lanes.reduce((sum, lane) => sum + lane.pendingEvents + lane.heldEvents, 0);
  const blockedSince = lanes
    .map((lane) => lane.blockedSince)
    .filter((since): since is string => typeof since === 'string')
    .sort()[0];
  return (
    <>
      <span>{t('pendingEvents', { count: pendingEvents })}</span>
      <span className={blockedSince ? 'error' : undefined}>
        {blockedSince ? t('blockedSince', { time: formatTime(blockedSince) }) : t('notBlocked')}
      </span>
    </>
  );
}
