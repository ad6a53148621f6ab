// The admin's token lives in sessionStorage (gone with the tab). A console URL carries a token in the
// fragment, which browsers never send to the server; the console asks the person before using it
// (use-link-token.ts, link-sign-in.ts) and erases the fragment from the address bar and history.

const STORAGE_KEY = 'lms-webhooks.console.token';

/** The token in a URL fragment such as `#token=eyJ…`, or undefined. */
export function tokenFromFragment(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token')?.trim();
  return token ? token : undefined;
}

/** Removes the fragment from the address bar and the current history entry, without a reload. */
export function dropFragment(): void {
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
}

/** The token this tab signed in with, if any. */
export function storedToken(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function saveToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
