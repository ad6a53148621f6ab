// The admin's token lives in sessionStorage (gone with the tab). A console URL carries it in the
// fragment, which browsers never send to the server; it is taken from there and then erased from
// the address bar and the history entry so it is not bookmarked or shared by accident.

const STORAGE_KEY = 'lms-webhooks.console.token';

/** The token in a URL fragment such as `#token=eyJ…`, or undefined. */
export function tokenFromFragment(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token')?.trim();
  return token ? token : undefined;
}

/** Moves a fragment token into sessionStorage, then returns whatever token the tab holds. */
export function takeToken(): string | undefined {
  const fromFragment = tokenFromFragment(window.location.hash);
  if (fromFragment) {
    saveToken(fromFragment);
    window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
  }
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
