/** A JWT-shaped token with this payload and a dummy signature: the console reads claims, never verifies. */
export function unsignedJwt(payload: unknown): string {
  return [{ alg: 'HS256', typ: 'JWT' }, payload].map(base64UrlJson).join('.') + '.c2lnbmF0dXJl';
}

function base64UrlJson(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  const base64 = btoa(String.fromCharCode(...bytes));
  return base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
