/** Where admin-api serves the console (vite.config.mts `base`, ADMIN_CONSOLE_PATH). */
export const CONSOLE_BASE = '/console/';

/** The console's pages, each at its own URL: a reload keeps the page, and a delivery has a link. */
export type Route =
  | { page: 'list' }
  | { page: 'add' }
  | { page: 'edit'; webhookId: string }
  | { page: 'deliveries'; webhookId: string; deliveryId?: string }
  | { page: 'not-found' };

const SEGMENT = /^[^/]+$/;

/** `/console/webhooks/<id>/deliveries/<deliveryId>` → the route; an unknown address is not-found. */
export function parseRoute(pathname: string, base: string = CONSOLE_BASE): Route {
  const rest = pathname.startsWith(base)
    ? pathname.slice(base.length)
    : pathname === base.slice(0, -1)
      ? ''
      : null;
  if (rest === null) return { page: 'not-found' };
  const parts = rest.split('/').filter((part) => part !== '');
  if (!parts.every((part) => SEGMENT.test(part))) return { page: 'not-found' };
  const ids = parts.map(safeDecode);
  if (ids.some((id) => id === undefined)) return { page: 'not-found' };
  const [first, id, third, deliveryId, ...extra] = ids as string[];
  if (parts.length === 0) return { page: 'list' };
  if (first !== 'webhooks' || extra.length > 0) return { page: 'not-found' };
  if (id === undefined) return { page: 'list' };
  if (id === 'new' && third === undefined) return { page: 'add' };
  if (third === undefined) return { page: 'edit', webhookId: id };
  if (third !== 'deliveries') return { page: 'not-found' };
  return deliveryId === undefined
    ? { page: 'deliveries', webhookId: id }
    : { page: 'deliveries', webhookId: id, deliveryId };
}

/** The address of a route (the inverse of parseRoute). */
export function routePath(route: Route, base: string = CONSOLE_BASE): string {
  const id = (value: string) => encodeURIComponent(value);
  switch (route.page) {
    case 'list':
    case 'not-found':
      return base;
    case 'add':
      return `${base}webhooks/new`;
    case 'edit':
      return `${base}webhooks/${id(route.webhookId)}`;
    case 'deliveries':
      return route.deliveryId
        ? `${base}webhooks/${id(route.webhookId)}/deliveries/${id(route.deliveryId)}`
        : `${base}webhooks/${id(route.webhookId)}/deliveries`;
  }
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}
