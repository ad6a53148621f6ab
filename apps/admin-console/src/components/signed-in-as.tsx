import type { TokenClaims } from '../auth/token-claims';
import { useI18n } from '../i18n/i18n-context';

/** The header's "Account 1010 · alice": on every page, so nobody works in an account without seeing it. */
export function SignedInAs({ claims }: { claims: TokenClaims }) {
  const { t } = useI18n();
  const text = t('signedInAs', { account: claims.accountId, subject: claims.subject });
  return (
    <span className="signed-in-as" title={text}>
      {text}
    </span>
  );
}
