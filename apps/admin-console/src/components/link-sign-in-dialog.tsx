import { useEffect, useRef, useState } from 'react';
import { AdminApiClient } from '../api/admin-api-client';
import type { LinkSignIn } from '../auth/link-sign-in';
import { useI18n } from '../i18n/i18n-context';
import { ConfirmDialog } from './confirm-dialog';
import { describeSignInError } from '../api/describe-api-error';

interface LinkSignInDialogProps {
  link: LinkSignIn;
  onSignedIn: (token: string) => void;
  onCancel: () => void;
}

/**
 * "Sign in to account 1010 as alice?" for a token that came in the console URL. The claims shown are
 * read, not verified: Continue asks the API with the token first, so a refused one is reported here
 * and never replaces the tab's sign-in. Cancel (the focused button, and Escape) leaves all as it was.
 */
export function LinkSignInDialog({ link, onSignedIn, onCancel }: LinkSignInDialogProps) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | undefined>();
  // Cancel closes the dialog at once: an answer that arrives afterwards must not sign in after all.
  const open = useRef(true);
  const { claims, replacing } = link;

  useEffect(() => {
    open.current = true;
    return () => {
      open.current = false;
    };
  }, []);

  async function continueSignIn() {
    setBusy(true);
    try {
      await new AdminApiClient(link.token).listWebhooks();
      if (open.current) onSignedIn(link.token);
    } catch (error) {
      if (!open.current) return;
      setRefusal(describeSignInError(error, t));
      setBusy(false);
    }
  }

  return (
    <ConfirmDialog
      heading={t('linkSignInHeading')}
      text={
        claims
          ? t('linkSignInQuestion', { account: claims.accountId, subject: claims.subject })
          : t('linkTokenUnreadable')
      }
      confirmLabel={t('continue')}
      confirmTone="primary"
      canConfirm={claims !== undefined && refusal === undefined}
      busy={busy}
      onConfirm={() => void continueSignIn()}
      onCancel={onCancel}
    >
      {claims && <p>{t('linkSignInWarning', { account: claims.accountId })}</p>}
      {replacing && (
        <p>{t('linkSignInReplaces', { account: replacing.accountId, subject: replacing.subject })}</p>
      )}
      {refusal && (
        <p role="alert" className="error banner">
          {refusal}
        </p>
      )}
    </ConfirmDialog>
  );
}
