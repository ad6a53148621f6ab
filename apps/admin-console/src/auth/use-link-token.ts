import { useCallback, useEffect, useState } from 'react';
import { dropFragment, tokenFromFragment } from './token-store';

/**
 * The token a console URL carries in its fragment (`#token=…`), on load or when only the fragment
 * changes in an open tab. The fragment leaves the address bar and the history entry at once, whatever
 * the person then decides, so the token is not bookmarked, shared or reused by Back.
 */
export function useLinkToken(): { linkToken: string | undefined; dismissLinkToken: () => void } {
  const [linkToken, setLinkToken] = useState(() => tokenFromFragment(window.location.hash));

  useEffect(() => {
    const take = () => {
      const token = tokenFromFragment(window.location.hash);
      if (!token) return;
      dropFragment();
      setLinkToken(token);
    };
    take();
    window.addEventListener('hashchange', take);
    return () => window.removeEventListener('hashchange', take);
  }, []);

  const dismissLinkToken = useCallback(() => setLinkToken(undefined), []);
  return { linkToken, dismissLinkToken };
}
