import type { FieldErrors } from '../api/api-error';
import type { AuthenticationType, WebhookDetail } from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';
import { FieldError, fieldAria, type FieldIds } from './form-field';
import type { FormValues } from './webhook-form-state';

const AUTH_TYPES: AuthenticationType[] = ['NONE', 'BASIC', 'SIGNATURE'];

interface WebhookFieldsProps {
  values: FormValues;
  errors: FieldErrors;
  saved: WebhookDetail | undefined;
  ids: FieldIds;
  onChange: (values: Partial<FormValues>) => void;
}

/** Name, Description, Target URL and Authentication (with Basic's username and password). */
export function WebhookFields({ values, errors, saved, ids, onChange }: WebhookFieldsProps) {
  const { t } = useI18n();
  const savedBasic = saved?.authentication.type === 'BASIC';
  return (
    <>
      <div className="field">
        <label htmlFor={ids.control('name')}>{t('name')}</label>
        <input
          id={ids.control('name')}
          value={values.name}
          maxLength={100}
          required
          {...fieldAria(errors, ids, 'name')}
          onChange={(event) => onChange({ name: event.target.value })}
        />
        <FieldError id={ids.error('name')} messages={errors.fields.name} />
      </div>

      <div className="field">
        <label htmlFor={ids.control('description')}>{t('description')}</label>
        <textarea
          id={ids.control('description')}
          value={values.description}
          rows={2}
          maxLength={500}
          {...fieldAria(errors, ids, 'description')}
          onChange={(event) => onChange({ description: event.target.value })}
        />
        <FieldError id={ids.error('description')} messages={errors.fields.description} />
      </div>

      <div className="field">
        <label htmlFor={ids.control('targetUrl')}>{t('targetUrl')}</label>
        <input
          id={ids.control('targetUrl')}
          type="text"
          inputMode="url"
          autoComplete="url"
          spellCheck={false}
          value={values.targetUrl}
          required
          {...fieldAria(errors, ids, 'targetUrl', ids.hint('targetUrl'))}
          onChange={(event) => onChange({ targetUrl: event.target.value })}
        />
        <p id={ids.hint('targetUrl')} className="hint">
          {t('targetUrlHint')}
        </p>
        <FieldError id={ids.error('targetUrl')} messages={errors.fields.targetUrl} />
      </div>

      <div className="field">
        <div
          role="radiogroup"
          aria-labelledby={ids.hint('authentication-label')}
          aria-describedby={fieldAria(errors, ids, 'authentication')['aria-describedby']}
          className="radio-group"
        >
          <span id={ids.hint('authentication-label')} className="group-label">
            {t('authentication')}
          </span>
          {AUTH_TYPES.map((type) => (
            <label key={type} className="choice">
              <input
                type="radio"
                name={ids.control('authentication')}
                value={type}
                checked={values.authType === type}
                onChange={() => onChange({ authType: type })}
              />
              {t(`auth${type}`)}
            </label>
          ))}
        </div>
        <FieldError id={ids.error('authentication')} messages={errors.fields.authentication} />
        {values.authType === 'SIGNATURE' && saved?.authentication.type !== 'SIGNATURE' && (
          <p className="hint">{t('signatureHint')}</p>
        )}
      </div>

      {values.authType === 'BASIC' && (
        <div className="basic-credentials">
          <div className="field">
            <label htmlFor={ids.control('username')}>{t('username')}</label>
            <input
              id={ids.control('username')}
              value={values.username}
              autoComplete="off"
              {...fieldAria(errors, ids, 'username')}
              onChange={(event) => onChange({ username: event.target.value })}
            />
            <FieldError id={ids.error('username')} messages={errors.fields.username} />
          </div>
          <div className="field">
            <label htmlFor={ids.control('password')}>{t('password')}</label>
            <input
              id={ids.control('password')}
              type="password"
              value={values.password}
              autoComplete="new-password"
              {...fieldAria(errors, ids, 'password', savedBasic && ids.hint('password'))}
              onChange={(event) => onChange({ password: event.target.value })}
            />
            {savedBasic && (
              <p id={ids.hint('password')} className="hint">
                {t('passwordKeepHint')}
              </p>
            )}
            <FieldError id={ids.error('password')} messages={errors.fields.password} />
          </div>
        </div>
      )}
    </>
  );
}
