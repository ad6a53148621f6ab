import { useCallback, useReducer, type FormEvent } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import type { EventType, WebhookDetail } from '../api/api-types';
import { describeApiError, formErrorsOf } from '../api/describe-api-error';
import { useApi } from '../api/use-api';
import { useI18n } from '../i18n/i18n-context';
import { ConfirmDialog } from './confirm-dialog';
import { DeliverySettings } from './delivery-settings';
import { EventPicker } from './event-picker';
import { ErrorLine, useFieldIds } from './form-field';
import { saveJsonFile } from './save-json-file';
import { TestOutcome } from './test-outcome';
import { WebhookFields } from './webhook-fields';
import {
  initialForm,
  createBody,
  formReducer,
  updateBody,
  validateNumbers,
  type FormValues,
} from './webhook-form-state';

interface WebhookFormProps {
  client: AdminApiClient;
  /** Absent: the Add form. */
  webhookId?: string;
  onDone: (notice: string) => void;
  onCancel: () => void;
}

/** Add and Edit: loads the event types (and the saved webhook), then shows the editor filled with it. */
export function WebhookForm({ client, webhookId, onDone, onCancel }: WebhookFormProps) {
  const { t } = useI18n();
  const { read } = useApi(
    useCallback(
      async (signal: AbortSignal) => {
        const [eventTypes, saved] = await Promise.all([
          client.listEventTypes({ signal }),
          webhookId ? client.getWebhook(webhookId, { signal }) : Promise.resolve(undefined),
        ]);
        return { eventTypes, saved };
      },
      [client, webhookId],
    ),
  );
  if (read.state === 'failed')
    return (
      <p role="alert" className="error banner">
        {read.error}
      </p>
    );
  if (read.state === 'loading') return <p>{t('loading')}</p>;
  return <WebhookEditor client={client} {...read.data} onDone={onDone} onCancel={onCancel} />;
}

interface WebhookEditorProps extends Omit<WebhookFormProps, 'webhookId'> {
  eventTypes: EventType[];
  saved: WebhookDetail | undefined;
}

/** The LMS page's fields, Test Webhook on the unsaved values, Save, and for Edit Download Signature and Delete. */
function WebhookEditor({ client, eventTypes, saved, onDone, onCancel }: WebhookEditorProps) {
  const { t } = useI18n();
  // Filled from the saved webhook on the first render: no empty form flashes before the values.
  const [state, dispatch] = useReducer(formReducer, saved, initialForm);
  const ids = useFieldIds();

  const { values, errors } = state;
  const change = (changed: Partial<FormValues>) => dispatch({ type: 'changed', values: changed });

  /** Local checks first (whole numbers), so nothing half-typed reaches the API. */
  function locallyValid(): boolean {
    const invalid = validateNumbers(values);
    if (invalid.length === 0) return true;
    dispatch({
      type: 'refused',
      errors: {
        fields: Object.fromEntries(invalid.map((key) => [key, [{ text: t('mustBeInteger') }]])),
        general: [],
      },
    });
    return false;
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!locallyValid()) return;
    dispatch({ type: 'saving' });
    try {
      const result = saved
        ? await client.updateWebhook(saved.id, updateBody(values, saved))
        : await client.createWebhook(createBody(values));
      onDone(t('saved', { name: result.name }));
    } catch (error) {
      dispatch({ type: 'refused', errors: formErrorsOf(error, t) });
    }
  }

  async function testWebhook() {
    if (!locallyValid()) return;
    dispatch({ type: 'testing' });
    try {
      const { targetUrl, authentication, events } = createBody(values);
      dispatch({
        type: 'tested',
        result: await client.testUnsavedWebhook({ targetUrl, authentication, events }),
      });
    } catch (error) {
      dispatch({ type: 'refused', errors: formErrorsOf(error, t) });
    }
  }

  async function downloadSignature() {
    if (!saved) return;
    try {
      const file = await client.downloadSignature(saved.id);
      const fileName = `webhook-${saved.id}-signing-secret.json`;
      saveJsonFile(fileName, file);
      dispatch({ type: 'noticed', notice: t('signatureDownloaded', { file: fileName }) });
    } catch (error) {
      dispatch({ type: 'refused', errors: { fields: {}, general: [{ text: describeApiError(error, t) }] } });
    }
  }

  async function deleteWebhook() {
    if (!saved) return;
    try {
      await client.deleteWebhook(saved.id);
      onDone(t('deleted', { name: saved.name }));
    } catch (error) {
      dispatch({ type: 'refused', errors: { fields: {}, general: [{ text: describeApiError(error, t) }] } });
    }
  }

  const hasErrors = errors.general.length > 0 || Object.keys(errors.fields).length > 0;
  return (
    <section aria-labelledby={ids.control('heading')}>
      <div className="page-head">
        <h1 id={ids.control('heading')}>{t(saved ? 'editHeading' : 'addHeading')}</h1>
        <button type="button" className="link" onClick={onCancel}>
          {t('back')}
        </button>
      </div>

      <form onSubmit={(event) => void save(event)} noValidate className="webhook-form">
        <div aria-live="polite">
          {hasErrors && (
            <div role="alert" className="error banner">
              <p>{t('formHasErrors')}</p>
              {errors.general.map((message) => (
                <p key={message.text}>
                  <ErrorLine text={message} />
                </p>
              ))}
            </div>
          )}
          {state.notice && (
            <p role="status" className="notice banner">
              {state.notice}
            </p>
          )}
        </div>

        <WebhookFields values={values} errors={errors} saved={saved} ids={ids} onChange={change} />
        <EventPicker
          eventTypes={eventTypes}
          selected={values.events}
          onChange={(events) => change({ events })}
          errorId={ids.error('events')}
          errors={errors.fields.events}
        />
        <DeliverySettings values={values} errors={errors} ids={ids} onChange={change} />

        <div className="actions">
          <button type="button" onClick={() => void testWebhook()} disabled={state.testing}>
            {t('testWebhook')}
          </button>
          {saved?.authentication.type === 'SIGNATURE' && (
            <button type="button" onClick={() => void downloadSignature()}>
              {t('downloadSignature')}
            </button>
          )}
          <button type="submit" className="primary" disabled={state.saving}>
            {t('save')}
          </button>
          {saved && (
            <button
              type="button"
              className="danger"
              onClick={() => dispatch({ type: 'confirmingDelete', open: true })}
            >
              {t('delete')}
            </button>
          )}
        </div>

        <TestOutcome testing={state.testing} result={state.testResult} />
      </form>

      {state.confirmingDelete && saved && (
        <ConfirmDialog
          heading={t('confirmDeleteHeading')}
          text={t('confirmDeleteText', { name: saved.name })}
          confirmLabel={t('delete')}
          onConfirm={() => void deleteWebhook()}
          onCancel={() => dispatch({ type: 'confirmingDelete', open: false })}
        />
      )}
    </section>
  );
}
