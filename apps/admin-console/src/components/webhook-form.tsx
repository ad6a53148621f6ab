import { useEffect, useId, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import { ApiError, toFieldErrors, type FieldErrors, type FormField } from '../api/api-error';
import type {
  AuthenticationType,
  EventType,
  TestResult,
  WebhookDetail,
  WebhookInput,
} from '../api/api-types';
import { useI18n } from '../i18n/i18n-context';
import { ConfirmDialog } from './confirm-dialog';
import { errorText } from './error-text';
import { saveJsonFile } from './save-json-file';

const AUTH_TYPES: AuthenticationType[] = ['NONE', 'BASIC', 'SIGNATURE'];
const NO_ERRORS: FieldErrors = { fields: {}, general: [] };

interface WebhookFormProps {
  client: AdminApiClient;
  /** Absent: the Add form. */
  webhookId?: string;
  onDone: (notice: string) => void;
  onCancel: () => void;
}

interface FormState {
  name: string;
  description: string;
  targetUrl: string;
  authType: AuthenticationType;
  username: string;
  password: string;
  events: string[];
  active: boolean;
  maxInFlight: string;
  maxEventsPerRequest: string;
  rateLimitPerSecond: string;
}

const EMPTY: FormState = {
  name: '',
  description: '',
  targetUrl: '',
  authType: 'NONE',
  username: '',
  password: '',
  events: [],
  active: false,
  maxInFlight: '',
  maxEventsPerRequest: '',
  rateLimitPerSecond: '',
};

function fromWebhook(webhook: WebhookDetail): FormState {
  return {
    name: webhook.name,
    description: webhook.description ?? '',
    targetUrl: webhook.targetUrl,
    authType: webhook.authentication.type,
    username: webhook.authentication.username ?? '',
    password: '',
    events: [...webhook.events],
    active: webhook.active,
    maxInFlight: numberText(webhook.maxInFlight),
    maxEventsPerRequest: numberText(webhook.maxEventsPerRequest),
    rateLimitPerSecond: numberText(webhook.rateLimitPerSecond),
  };
}

function numberText(value: number | null | undefined): string {
  return typeof value === 'number' ? String(value) : '';
}

/** Add and Edit: the LMS page's fields, Test Webhook on the unsaved values, Save, and for Edit Delete. */
export function WebhookForm({ client, webhookId, onDone, onCancel }: WebhookFormProps) {
  const { t } = useI18n();
  const [eventTypes, setEventTypes] = useState<EventType[] | undefined>();
  const [saved, setSaved] = useState<WebhookDetail | undefined>();
  const [form, setForm] = useState<FormState>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [loadError, setLoadError] = useState<string | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [filter, setFilter] = useState('');
  const [saving, setSaving] = useState(false);
  const [testing, setTesting] = useState(false);
  const [testResult, setTestResult] = useState<TestResult | undefined>();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const ids = useFieldIds();

  useEffect(() => {
    let live = true;
    const load = async () => {
      try {
        const [types, webhook] = await Promise.all([
          client.listEventTypes(),
          webhookId ? client.getWebhook(webhookId) : Promise.resolve(undefined),
        ]);
        if (!live) return;
        setEventTypes(types);
        if (webhook) {
          setSaved(webhook);
          setForm(fromWebhook(webhook));
        }
      } catch (error) {
        if (live) setLoadError(errorText(error, t));
      }
    };
    void load();
    return () => {
      live = false;
    };
  }, [client, webhookId, t]);

  const update = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setForm((current) => ({ ...current, [key]: value }));

  /** The body for POST (all fields) or PATCH (what changed of the optional settings); or local errors. */
  function buildInput(): { input: WebhookInput } | { errors: FieldErrors } {
    const local: FieldErrors = { fields: {}, general: [] };
    const numbers: Partial<Pick<WebhookInput, 'maxInFlight' | 'maxEventsPerRequest' | 'rateLimitPerSecond'>> =
      {};
    for (const key of ['maxInFlight', 'maxEventsPerRequest', 'rateLimitPerSecond'] as const) {
      const text = form[key].trim();
      const savedValue = saved ? numberText(saved[key]) : '';
      if (text === savedValue) continue; // unchanged (or left empty on Add): the server keeps or defaults it
      if (text === '') {
        if (key === 'rateLimitPerSecond') numbers.rateLimitPerSecond = null;
        continue;
      }
      if (!/^\d+$/.test(text)) local.fields[key] = [t('mustBeInteger')];
      else numbers[key] = Number(text);
    }
    if (Object.keys(local.fields).length > 0) return { errors: local };
    const authentication: WebhookInput['authentication'] = { type: form.authType };
    if (form.authType === 'BASIC') {
      authentication.username = form.username;
      // Empty on Edit of a BASIC webhook keeps the stored password (the API never returns it).
      if (form.password !== '' || saved?.authentication.type !== 'BASIC')
        authentication.password = form.password;
    }
    return {
      input: {
        name: form.name,
        description: form.description.trim() === '' ? null : form.description,
        targetUrl: form.targetUrl,
        authentication,
        events: form.events,
        active: form.active,
        ...numbers,
      },
    };
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    const built = buildInput();
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setSaving(true);
    setNotice(undefined);
    try {
      const result = saved
        ? await client.updateWebhook(saved.id, built.input)
        : await client.createWebhook(built.input);
      onDone(t('saved', { name: result.name }));
    } catch (error) {
      setErrors(
        error instanceof ApiError ? toFieldErrors(error) : { fields: {}, general: [errorText(error, t)] },
      );
      setSaving(false);
    }
  }

  async function testWebhook() {
    const built = buildInput();
    if ('errors' in built) {
      setErrors(built.errors);
      return;
    }
    setTesting(true);
    setTestResult(undefined);
    setErrors(NO_ERRORS);
    try {
      const { targetUrl, authentication, events } = built.input;
      setTestResult(await client.testUnsavedWebhook({ targetUrl, authentication, events }));
    } catch (error) {
      setErrors(
        error instanceof ApiError ? toFieldErrors(error) : { fields: {}, general: [errorText(error, t)] },
      );
    }
    setTesting(false);
  }

  async function downloadSignature() {
    if (!saved) return;
    try {
      const file = await client.downloadSignature(saved.id);
      const fileName = `webhook-${saved.id}-signing-secret.json`;
      saveJsonFile(fileName, file);
      setNotice(t('signatureDownloaded', { file: fileName }));
    } catch (error) {
      setErrors({ fields: {}, general: [errorText(error, t)] });
    }
  }

  async function deleteWebhook() {
    if (!saved) return;
    try {
      await client.deleteWebhook(saved.id);
      onDone(t('deleted', { name: saved.name }));
    } catch (error) {
      setConfirmingDelete(false);
      setErrors({ fields: {}, general: [errorText(error, t)] });
    }
  }

  const fieldError = (field: FormField) => errors.fields[field];
  const describedBy = (field: FormField, ...hints: (string | false | undefined)[]) =>
    [...hints, fieldError(field) && ids.error(field)].filter(Boolean).join(' ') || undefined;
  const invalid = (field: FormField) => (fieldError(field) ? true : undefined);

  if (loadError)
    return (
      <p role="alert" className="error banner">
        {loadError}
      </p>
    );
  if (!eventTypes || (webhookId && !saved)) return <p>{t('loading')}</p>;

  return (
    <section aria-labelledby="form-heading">
      <div className="page-head">
        <h1 id="form-heading">{t(saved ? 'editHeading' : 'addHeading')}</h1>
        <button type="button" className="link" onClick={onCancel}>
          {t('back')}
        </button>
      </div>

      <form onSubmit={(event) => void save(event)} noValidate className="webhook-form">
        <div aria-live="polite">
          {errors.general.length > 0 || Object.keys(errors.fields).length > 0 ? (
            <div role="alert" className="error banner">
              <p>{t('formHasErrors')}</p>
              {errors.general.map((message) => (
                <p key={message}>{message}</p>
              ))}
            </div>
          ) : null}
          {notice && (
            <p role="status" className="notice banner">
              {notice}
            </p>
          )}
        </div>

        <div className="field">
          <label htmlFor={ids.control('name')}>{t('name')}</label>
          <input
            id={ids.control('name')}
            value={form.name}
            maxLength={100}
            required
            aria-invalid={invalid('name')}
            aria-describedby={describedBy('name')}
            onChange={(event) => update('name', event.target.value)}
          />
          <FieldError id={ids.error('name')} messages={fieldError('name')} />
        </div>

        <div className="field">
          <label htmlFor={ids.control('description')}>{t('description')}</label>
          <textarea
            id={ids.control('description')}
            value={form.description}
            rows={2}
            maxLength={500}
            aria-invalid={invalid('description')}
            aria-describedby={describedBy('description')}
            onChange={(event) => update('description', event.target.value)}
          />
          <FieldError id={ids.error('description')} messages={fieldError('description')} />
        </div>

        <div className="field">
          <label htmlFor={ids.control('targetUrl')}>{t('targetUrl')}</label>
          <input
            id={ids.control('targetUrl')}
            type="text"
            inputMode="url"
            autoComplete="url"
            spellCheck={false}
            value={form.targetUrl}
            required
            aria-invalid={invalid('targetUrl')}
            aria-describedby={describedBy('targetUrl', ids.hint('targetUrl'))}
            onChange={(event) => update('targetUrl', event.target.value)}
          />
          <p id={ids.hint('targetUrl')} className="hint">
            {t('targetUrlHint')}
          </p>
          <FieldError id={ids.error('targetUrl')} messages={fieldError('targetUrl')} />
        </div>

        <div className="field">
          <div
            role="radiogroup"
            aria-labelledby={ids.hint('authentication-label')}
            aria-describedby={describedBy('authentication')}
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
                  checked={form.authType === type}
                  onChange={() => update('authType', type)}
                />
                {t(`auth${type}`)}
              </label>
            ))}
          </div>
          <FieldError id={ids.error('authentication')} messages={fieldError('authentication')} />
          {form.authType === 'SIGNATURE' && !(saved?.authentication.type === 'SIGNATURE') && (
            <p className="hint">{t('signatureHint')}</p>
          )}
        </div>

        {form.authType === 'BASIC' && (
          <div className="basic-credentials">
            <div className="field">
              <label htmlFor={ids.control('username')}>{t('username')}</label>
              <input
                id={ids.control('username')}
                value={form.username}
                autoComplete="off"
                aria-invalid={invalid('username')}
                aria-describedby={describedBy('username')}
                onChange={(event) => update('username', event.target.value)}
              />
              <FieldError id={ids.error('username')} messages={fieldError('username')} />
            </div>
            <div className="field">
              <label htmlFor={ids.control('password')}>{t('password')}</label>
              <input
                id={ids.control('password')}
                type="password"
                value={form.password}
                autoComplete="new-password"
                aria-invalid={invalid('password')}
                aria-describedby={describedBy(
                  'password',
                  saved?.authentication.type === 'BASIC' && ids.hint('password'),
                )}
                onChange={(event) => update('password', event.target.value)}
              />
              {saved?.authentication.type === 'BASIC' && (
                <p id={ids.hint('password')} className="hint">
                  {t('passwordKeepHint')}
                </p>
              )}
              <FieldError id={ids.error('password')} messages={fieldError('password')} />
            </div>
          </div>
        )}

        <EventPicker
          eventTypes={eventTypes}
          selected={form.events}
          filter={filter}
          onFilter={setFilter}
          onChange={(events) => update('events', events)}
          errorId={ids.error('events')}
          errors={fieldError('events')}
        />

        <div className="field switch-field">
          <input
            id={ids.control('active')}
            type="checkbox"
            role="switch"
            className="switch"
            checked={form.active}
            aria-invalid={invalid('active')}
            aria-describedby={describedBy('active', ids.hint('active'))}
            onChange={(event) => update('active', event.target.checked)}
          />
          <label htmlFor={ids.control('active')}>{t('activationStatus')}</label>
          <p id={ids.hint('active')} className="hint">
            {t('activationHint')}
          </p>
          <FieldError id={ids.error('active')} messages={fieldError('active')} />
        </div>

        <details
          className="advanced"
          open={
            fieldError('maxInFlight') || fieldError('maxEventsPerRequest') || fieldError('rateLimitPerSecond')
              ? true
              : undefined
          }
        >
          <summary>{t('advanced')}</summary>
          {(['maxInFlight', 'maxEventsPerRequest', 'rateLimitPerSecond'] as const).map((key) => (
            <div className="field" key={key}>
              <label htmlFor={ids.control(key)}>{t(key)}</label>
              <input
                id={ids.control(key)}
                type="number"
                inputMode="numeric"
                min={1}
                step={1}
                value={form[key]}
                aria-invalid={invalid(key)}
                aria-describedby={describedBy(key, ids.hint(key))}
                onChange={(event) => update(key, event.target.value)}
              />
              <p id={ids.hint(key)} className="hint">
                {t(ADVANCED_HINTS[key])}
              </p>
              <FieldError id={ids.error(key)} messages={fieldError(key)} />
            </div>
          ))}
        </details>

        <div className="actions">
          <button type="button" onClick={() => void testWebhook()} disabled={testing}>
            {t('testWebhook')}
          </button>
          {saved?.authentication.type === 'SIGNATURE' && (
            <button type="button" onClick={() => void downloadSignature()}>
              {t('downloadSignature')}
            </button>
          )}
          <button type="submit" className="primary" disabled={saving}>
            {t('save')}
          </button>
          {saved && (
            <button type="button" className="danger" onClick={() => setConfirmingDelete(true)}>
              {t('delete')}
            </button>
          )}
        </div>

        <TestOutcome testing={testing} result={testResult} />
      </form>

      {confirmingDelete && saved && (
        <ConfirmDialog
          heading={t('confirmDeleteHeading')}
          text={t('confirmDeleteText', { name: saved.name })}
          confirmLabel={t('delete')}
          onConfirm={() => void deleteWebhook()}
          onCancel={() => setConfirmingDelete(false)}
        />
      )}
    </section>
  );
}

const ADVANCED_HINTS = {
  maxInFlight: 'maxInFlightHint',
  maxEventsPerRequest: 'maxEventsPerRequestHint',
  rateLimitPerSecond: 'rateLimitHint',
} as const;

function useFieldIds() {
  const base = useId();
  return {
    control: (field: string) => `${base}-${field}`,
    hint: (field: string) => `${base}-${field}-hint`,
    error: (field: string) => `${base}-${field}-error`,
  };
}

function FieldError({ id, messages }: { id: string; messages?: string[] }): ReactNode {
  if (!messages || messages.length === 0) return null;
  return (
    <p id={id} className="field-error">
      {messages.join(' ')}
    </p>
  );
}

interface EventPickerProps {
  eventTypes: EventType[];
  selected: string[];
  filter: string;
  onFilter: (filter: string) => void;
  onChange: (events: string[]) => void;
  errorId: string;
  errors?: string[];
}

/** Trigger Events: a checkbox per event, real-time first, each with its description, and a filter. */
function EventPicker({
  eventTypes,
  selected,
  filter,
  onFilter,
  onChange,
  errorId,
  errors,
}: EventPickerProps) {
  const { t } = useI18n();
  const base = useId();
  const needle = filter.trim().toLowerCase();
  const visible = useMemo(
    () =>
      eventTypes.filter(
        (type) =>
          needle === '' ||
          type.name.toLowerCase().includes(needle) ||
          type.description.toLowerCase().includes(needle),
      ),
    [eventTypes, needle],
  );
  const toggle = (name: string, checked: boolean) =>
    onChange(checked ? [...selected, name] : selected.filter((event) => event !== name));

  const group = (realtime: boolean) => {
    const types = visible.filter((type) => type.realtime === realtime);
    const key = realtime ? 'realtime' : 'nonRealtime';
    if (types.length === 0) return null;
    return (
      <fieldset className="event-group">
        <legend>{t(key)}</legend>
        <p className="hint">{t(realtime ? 'realtimeHint' : 'nonRealtimeHint')}</p>
        <ul>
          {types.map((type) => {
            const id = `${base}-${type.name}`;
            return (
              <li key={type.name}>
                <input
                  id={id}
                  type="checkbox"
                  checked={selected.includes(type.name)}
                  aria-describedby={`${id}-description`}
                  onChange={(event) => toggle(type.name, event.target.checked)}
                />
                <label htmlFor={id} className="event-name">
                  {type.name}
                </label>
                <span id={`${id}-description`} className="hint event-description">
                  {type.description}
                </span>
              </li>
            );
          })}
        </ul>
      </fieldset>
    );
  };

  return (
    <fieldset
      className="field events"
      aria-describedby={errors ? errorId : undefined}
      aria-invalid={errors ? true : undefined}
    >
      <legend>{t('triggerEvents')}</legend>
      <div className="events-toolbar">
        <label htmlFor={`${base}-filter`}>{t('filterEvents')}</label>
        <input
          id={`${base}-filter`}
          type="search"
          value={filter}
          onChange={(event) => onFilter(event.target.value)}
        />
        <span className="muted" aria-live="polite">
          {t('eventsSelected', { count: selected.length })}
        </span>
      </div>
      <FieldError id={errorId} messages={errors} />
      {visible.length === 0 ? (
        <p>{t('noEventsMatch')}</p>
      ) : (
        <>
          {group(true)}
          {group(false)}
        </>
      )}
    </fieldset>
  );
}

function TestOutcome({ testing, result }: { testing: boolean; result?: TestResult }) {
  const { t } = useI18n();
  return (
    <section className="test-result" aria-labelledby="test-result-heading" aria-live="polite" role="status">
      {(testing || result) && <h2 id="test-result-heading">{t('testResult')}</h2>}
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
            {result.error && <li className="error">{t('testError', { error: result.error })}</li>}
          </ul>
          {result.responseBody && (
            <>
              <h3>{t('testResponse')}</h3>
              <pre className="snippet">{result.responseBody}</pre>
            </>
          )}
        </>
      )}
    </section>
  );
}
