import { useI18n } from '../i18n/i18n-context';

export function NotFound({ onBack }: { onBack: () => void }) {
  const { t } = useI18n();
  return (
    <section aria-labelledby="not-found-heading">
      <h1 id="not-found-heading">{t('notFoundHeading')}</h1>
      <p>{t('notFoundText')}</p>
      <button type="button" className="link" onClick={onBack}>
        {t('back')}
      </button>
    </section>
  );
}
