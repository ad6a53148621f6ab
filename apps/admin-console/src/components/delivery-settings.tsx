import type { FieldErrors } from '../api/api-error';
import { useI18n } from '../i18n/i18n-context';
import { FieldError, fieldAria, type FieldIds } from './form-field';
import { NUMBER_FIELDS, type FormValues } from './webhook-form-state';

const HINTS = {
  maxInFlight: 'maxInFlightHint',
  maxEventsPerRequest: 'maxEventsPerRequestHint',
  rateLimitPerSecond: 'rateLimitHint',
} as const;

interface DeliverySettingsProps {
  values: FormValues;
  errors: FieldErrors;
  ids: FieldIds;
  onChange: (values: Partial<FormValues>) => void;
}

/**
 * Activation status, and under Advanced the lane settings and the trace context headers switch (open
 * by itself when one of them is refused).
 */
export function DeliverySettings({ values, errors, ids, onChange }: DeliverySettingsProps) {
  const { t } = useI18n();
  const advancedRefused =
    NUMBER_FIELDS.some((key) => errors.fields[key]) || errors.fields.traceContextHeaders !== undefined;
  return (
    <>
      <div className="field switch-field">
        <input
          id={ids.control('active')}
          type="checkbox"
          role="switch"
          className="switch"
          checked={values.active}
          {...fieldAria(errors, ids, 'active', ids.hint('active'))}
          onChange={(event) => onChange({ active: event.target.checked })}
        />
        <label htmlFor={ids.control('active')}>{t('activationStatus')}</label>
        <p id={ids.hint('active')} className="hint">
          {t('activationHint')}
        </p>
        <FieldError id={ids.error('active')} messages={errors.fields.active} />
      </div>

      <details className="advanced" open={advancedRefused || undefined}>
        <summary>{t('advanced')}</summary>
        {NUMBER_FIELDS.map((key) => (
          <div className="field" key={key}>
            <label htmlFor={ids.control(key)}>{t(key)}</label>
            <input
              id={ids.control(key)}
              type="number"
              inputMode="numeric"
              min={1}
              step={1}
              value={values[key]}
              {...fieldAria(errors, ids, key, ids.hint(key))}
              onChange={(event) => onChange({ [key]: event.target.value })}
            />
            <p id={ids.hint(key)} className="hint">
              {t(HINTS[key])}
            </p>
            <FieldError id={ids.error(key)} messages={errors.fields[key]} />
          </div>
        ))}
        <div className="field switch-field">
          <input
            id={ids.control('traceContextHeaders')}
            type="checkbox"
            role="switch"
            className="switch"
            checked={values.traceContextHeaders}
            {...fieldAria(errors, ids, 'traceContextHeaders', ids.hint('traceContextHeaders'))}
            onChange={(event) => onChange({ traceContextHeaders: event.target.checked })}
          />
          <label htmlFor={ids.control('traceContextHeaders')}>{t('traceContextHeaders')}</label>
          <p id={ids.hint('traceContextHeaders')} className="hint">
            {t('traceContextHeadersHint')}
          </p>
          <FieldError id={ids.error('traceContextHeaders')} messages={errors.fields.traceContextHeaders} />
        </div>
      </details>
    </>
  );
}
