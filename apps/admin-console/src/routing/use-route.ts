import { useCallback, useSyncExternalStore } from 'react';
import { parseRoute, routePath, type Route } from './routes';

// pushState fires no event of its own: navigate() announces it, Back and Forward are popstate.
const NAVIGATED = 'lms-webhooks:navigated';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(NAVIGATED, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(NAVIGATED, onChange);
  };
}

const currentPath = () => window.location.pathname;

/** The page the address bar names, and a way to go to another (a new history entry, so Back works). */
export function useRoute(): { route: Route; navigate: (route: Route) => void } {
  const path = useSyncExternalStore(subscribe, currentPath);
  const navigate = useCallback((route: Route) => {
    const next = routePath(route);
    if (next !== window.location.pathname) window.history.pushState(null, '', next);
    window.dispatchEvent(new Event(NAVIGATED));
  }, []);
  return { route: parseRoute(path), navigate };
}
