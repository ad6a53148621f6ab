import { useId, useState, type FormEvent } from 'react';
import { AdminApiClient } from '../api/admin-api-client';
import type { MessageKey } from '../i18n/catalogue';
import { useI18n } from '../i18n/i18n-context';
import { describeSignInError } from '../api/describe-api-error';

interface SignInProps {
  problem?: MessageKey;
  onSignIn: (token: string) => void;
}

/** Paste a token; it is tried against the API first so a bad one is refused here, with the reason. */
export function SignIn({ problem, onSignIn }: SignInProps) {
  const { t } = useI18n();
  const [token, setToken] = useState('');
  const [message, setMessage] = useState<string | undefined>(problem ? t(problem) : undefined);
  const [busy, setBusy] = useState(false);
  const tokenId = useId();
  const messageId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = token.trim();
    if (!trimmed) {
      setMessage(t('tokenRequired'));
      return;
    }
    setBusy(true);
    try {
      await new AdminApiClient(trimmed).listWebhooks();
      onSignIn(trimmed);
    } catch (error) {
      setMessage(describeSignInError(error, t));
      setBusy(false);
    }
  }

  return (
    <section className="sign-in" aria-labelledby="sign-in-heading">
      <h1 id="sign-in-heading">{t('signInHeading')}</h1>
      <p>{t('signInIntro')}</p>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <label htmlFor={tokenId}>{t('token')}</label>
        <textarea
          id={tokenId}
          value={token}
          rows={5}
          spellCheck={false}
          autoComplete="off"
          aria-invalid={message ? true : undefined}
          aria-describedby={message ? messageId : undefined}
          onChange={(event) => setToken(event.target.value)}
        />
        {message && (
          <p id={messageId} role="alert" className="error">
            {message}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {t('signIn')}
        </button>
      </form>
    </section>
  );
}
