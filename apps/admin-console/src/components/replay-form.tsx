import { useId, useState, type FormEvent } from 'react';
import type { AdminApiClient } from '../api/admin-api-client';
import type { FieldErrors } from '../api/api-error';
import { formErrorsOf } from '../api/describe-api-error';
import { useI18n } from '../i18n/i18n-context';
import { ErrorLine, FieldError } from './form-field';

const NO_ERRORS: FieldErrors = { fields: {}, general: [] };

/** Replay: re-send the account's subscribed events of a time range, in the admin's local time. */
export function ReplayForm({
  client,
  webhookId,
  onReplayed,
}: {
  client: AdminApiClient;
  webhookId: string;
  onReplayed: () => void;
}) {
  const { t } = useI18n();
  const [range, setRange] = useState({ from: '', to: '' });
  const [errors, setErrors] = useState<FieldErrors>(NO_ERRORS);
  const [result, setResult] = useState<string | undefined>();
  const base = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setResult(undefined);
    if (!range.from || !range.to) {
      setErrors({ fields: {}, general: [{ text: t('rangeRequired') }] });
      return;
    }
    setErrors(NO_ERRORS);
    try {
      // datetime-local is the admin's local time; the API reads a zoneless time as UTC, so send UTC.
      const replayed = await client.replay(webhookId, toIsoTime(range.from), toIsoTime(range.to));
      setResult(
        t('replayed', {
          count: replayed.count,
          realtime: replayed.realtimeEvents,
          batched: replayed.batchedEvents,
        }),
      );
      onReplayed();
    } catch (error) {
      setErrors(formErrorsOf(error, t));
    }
  }

  const input = (field: 'from' | 'to') => (
    <div className="field inline">
      <label htmlFor={`${base}-${field}`}>{t(field)}</label>
      <input
        id={`${base}-${field}`}
        type="datetime-local"
        step={1}
        value={range[field]}
        aria-invalid={errors.fields[field] ? true : undefined}
        aria-describedby={errors.fields[field] ? `${base}-${field}-error` : undefined}
        onChange={(event) => setRange((current) => ({ ...current, [field]: event.target.value }))}
      />
      <FieldError id={`${base}-${field}-error`} messages={errors.fields[field]} />
    </div>
  );

  return (
    <section className="replay" aria-labelledby={`${base}-heading`}>
      <h2 id={`${base}-heading`}>{t('replayHeading')}</h2>
      <p className="muted">{t('replayIntro')}</p>
      <form onSubmit={(event) => void submit(event)} noValidate className="toolbar">
        {input('from')}
        {input('to')}
        <button type="submit">{t('replay')}</button>
      </form>
      <div aria-live="polite">
        {errors.general.map((message) => (
          <p key={message.text} role="alert" className="error">
            <ErrorLine text={message} />
          </p>
        ))}
        {result && (
          <p role="status" className="notice banner">
            {result}
          </p>
        )}
      </div>
    </section>
  );
}

function toIsoTime(local: string): string {
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? local : date.toISOString();
}
