import { parseRoute, routePath, type Route } from './routes';

describe('console routes', () => {
  const routes: [string, Route][] = [
    ['/console/', { page: 'list' }],
    ['/console/webhooks/new', { page: 'add' }],
    ['/console/webhooks/0b7c', { page: 'edit', webhookId: '0b7c' }],
    ['/console/webhooks/0b7c/deliveries', { page: 'deliveries', webhookId: '0b7c' }],
    ['/console/webhooks/0b7c/deliveries/d1', { page: 'deliveries', webhookId: '0b7c', deliveryId: 'd1' }],
  ];

  it.each(routes)('%s is a page, and the page has that address', (path, route) => {
    expect(parseRoute(path)).toEqual(route);
    expect(routePath(route)).toBe(path);
  });

  it('reads /console without the slash and /console/webhooks as the list', () => {
    expect(parseRoute('/console')).toEqual({ page: 'list' });
    expect(parseRoute('/console/webhooks')).toEqual({ page: 'list' });
  });

  it('calls any other address not found, a malformed escape included', () => {
    for (const path of [
      '/console/nope',
      '/console/webhooks/a/b',
      '/console/webhooks/a/deliveries/b/c',
      '/other',
      '/console/webhooks/%E0%A4%A',
    ])
      expect([path, parseRoute(path)]).toEqual([path, { page: 'not-found' }]);
  });
});
