import { useCallback, useEffect, useMemo, useState } from 'react';
import { AdminApiClient } from './api/admin-api-client';
import type { ApiError } from './api/api-error';
import { linkSignIn } from './auth/link-sign-in';
import { readTokenClaims } from './auth/token-claims';
import { clearToken, saveToken, storedToken } from './auth/token-store';
import { useLinkToken } from './auth/use-link-token';
import { DeliveriesPage } from './components/deliveries-page';
import { LanguageSwitch } from './components/language-switch';
import { LinkSignInDialog } from './components/link-sign-in-dialog';
import { SignIn } from './components/sign-in';
import { SignedInAs } from './components/signed-in-as';
import { WebhookForm } from './components/webhook-form';
import { WebhooksPage } from './components/webhooks-page';
import { useI18n } from './i18n/i18n-context';
import type { MessageKey } from './i18n/catalogue';

export type View =
  | { page: 'list'; notice?: string }
  | { page: 'form'; webhookId?: string }
  | { page: 'deliveries'; webhookId: string; webhookName: string };

/**
 * Signed out (with why), or signed in with a token; the views talk to the API through one client. A
 * token from a console URL waits in a dialog over whatever is shown until the person says whose it is.
 */
export function App() {
  const { t } = useI18n();
  const [token, setToken] = useState<string | undefined>(storedToken);
  const [signInProblem, setSignInProblem] = useState<MessageKey | undefined>();
  const [view, setView] = useState<View>({ page: 'list' });
  const { linkToken, dismissLinkToken } = useLinkToken();
  const link = linkSignIn(linkToken, token);
  const signedIn = useMemo(() => (token ? readTokenClaims(token) : undefined), [token]);

  useEffect(() => {
    // A link with the token the tab already uses asks nothing; forget it so signing out does not revive it.
    if (linkToken && linkToken === token) dismissLinkToken();
  }, [linkToken, token, dismissLinkToken]);

  const signOut = useCallback((problem?: MessageKey) => {
    clearToken();
    setToken(undefined);
    setSignInProblem(problem);
    setView({ page: 'list' });
  }, []);

  const client = useMemo(
    () =>
      token
        ? new AdminApiClient(token, (error: ApiError) =>
            signOut(error.status === 403 ? 'tokenForbidden' : 'tokenExpired'),
          )
        : undefined,
    [token, signOut],
  );

  const signIn = (newToken: string) => {
    saveToken(newToken);
    setSignInProblem(undefined);
    setToken(newToken);
    // Another account's webhook must not stay open: start from its list.
    setView({ page: 'list' });
    dismissLinkToken();
  };

  return (
    <>
      <header className="top-bar">
        <span className="brand">{t('appTitle')}</span>
        <div className="top-bar-actions">
          {client && signedIn && <SignedInAs claims={signedIn} />}
          <LanguageSwitch />
          {client && (
            <button type="button" onClick={() => signOut('signedOut')}>
              {t('signOut')}
            </button>
          )}
        </div>
      </header>
      <main id="main">
        {!client ? (
          <SignIn problem={signInProblem} onSignIn={signIn} />
        ) : view.page === 'form' ? (
          <WebhookForm
            key={view.webhookId ?? 'new'}
            client={client}
            webhookId={view.webhookId}
            onDone={(notice) => setView({ page: 'list', notice })}
            onCancel={() => setView({ page: 'list' })}
          />
        ) : view.page === 'deliveries' ? (
          <DeliveriesPage
            key={view.webhookId}
            client={client}
            webhookId={view.webhookId}
            webhookName={view.webhookName}
            onBack={() => setView({ page: 'list' })}
          />
        ) : (
          <WebhooksPage client={client} notice={view.notice} onNavigate={setView} />
        )}
      </main>
      {link && (
        <LinkSignInDialog key={link.token} link={link} onSignedIn={signIn} onCancel={dismissLinkToken} />
      )}
    </>
  );
}
