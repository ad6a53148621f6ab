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
import { NotFound } from './components/not-found';
import { WebhooksPage } from './components/webhooks-page';
import { useI18n } from './i18n/i18n-context';
import type { MessageKey } from './i18n/catalogue';
import type { Route } from './routing/routes';
import { useRoute } from './routing/use-route';

/**
 * Signed out (with why), or signed in with a token; the views talk to the API through one client. A
 * token from a console URL waits in a dialog over whatever is shown until the person says whose it is.
 */
export function App() {
  const { t } = useI18n();
  const [token, setToken] = useState<string | undefined>(storedToken);
  const [signInProblem, setSignInProblem] = useState<MessageKey | undefined>();
  const { route, navigate } = useRoute();
  // What the last save or delete said, shown once on the list it returned to.
  const [notice, setNotice] = useState<string | undefined>();
  const go = useCallback(
    (next: Route, withNotice?: string) => {
      setNotice(withNotice);
      navigate(next);
    },
    [navigate],
  );
  const { linkToken, dismissLinkToken } = useLinkToken();
  const link = linkSignIn(linkToken, token);
  const signedIn = useMemo(() => (token ? readTokenClaims(token) : undefined), [token]);

  useEffect(() => {
    // A link with the token the tab already uses asks nothing; forget it so signing out does not revive it.
    if (linkToken && linkToken === token) dismissLinkToken();
  }, [linkToken, token, dismissLinkToken]);

  const signOut = useCallback(
    (problem?: MessageKey) => {
      clearToken();
      setToken(undefined);
      setSignInProblem(problem);
      go({ page: 'list' });
    },
    [go],
  );

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
    go({ page: 'list' });
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
        ) : route.page === 'add' || route.page === 'edit' ? (
          <WebhookForm
            key={route.page === 'edit' ? route.webhookId : 'new'}
            client={client}
            webhookId={route.page === 'edit' ? route.webhookId : undefined}
            onDone={(done) => go({ page: 'list' }, done)}
            onCancel={() => go({ page: 'list' })}
          />
        ) : route.page === 'deliveries' ? (
          <DeliveriesPage
            key={route.webhookId}
            client={client}
            webhookId={route.webhookId}
            deliveryId={route.deliveryId}
            onNavigate={go}
          />
        ) : route.page === 'not-found' ? (
          <NotFound onBack={() => go({ page: 'list' })} />
        ) : (
          <WebhooksPage key={notice} client={client} notice={notice} onNavigate={go} />
        )}
      </main>
      {link && (
        <LinkSignInDialog key={link.token} link={link} onSignedIn={signIn} onCancel={dismissLinkToken} />
      )}
    </>
  );
}
