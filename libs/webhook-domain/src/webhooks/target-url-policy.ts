import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyTargetAddress } from '@lms/http-delivery';
import { DomainError } from '../errors/domain-error';

export interface TargetUrlRules {
  allowPrivateTargets: boolean;
  allowHttpTargets: boolean;
}

/** Resolves a host name to every address it has (all of them are checked: any one could be used). */
export type HostResolver = (host: string) => Promise<string[]>;

export const MAX_TARGET_URL_LENGTH = 2048;
const CONTROL_CHARACTER = /\p{Cc}/u;

const resolveWithSystemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * The rules a listener URL must follow. Pure syntax rules (`parseTargetUrl`) first, then, unless private
 * targets are allowed, every address the host resolves to must be public: otherwise an admin could aim
 * a webhook at the metadata service or an internal port and read responses back (SSRF). The dispatcher
 * checks again at connect time, because DNS can change after the URL was saved.
 */
export class TargetUrlPolicy {
  constructor(
    private readonly rules: TargetUrlRules,
    private readonly resolveHost: HostResolver = resolveWithSystemResolver,
  ) {}

  async assertAllowed(raw: string, field = 'targetUrl'): Promise<URL> {
    const url = parseTargetUrl(raw, this.rules, field);
    if (this.rules.allowPrivateTargets) return url;
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    let addresses: string[];
    if (isIP(host) !== 0) {
      addresses = [host];
    } else {
      try {
        addresses = await this.resolveHost(host);
      } catch {
        throw DomainError.targetNotAllowed(
          field,
          `the host "${host}" does not resolve`,
          'HOST_DOES_NOT_RESOLVE',
          {
            host,
          },
        );
      }
      if (addresses.length === 0)
        throw DomainError.targetNotAllowed(
          field,
          `the host "${host}" does not resolve`,
          'HOST_DOES_NOT_RESOLVE',
          {
            host,
          },
        );
    }
    for (const address of addresses) {
      const verdict = classifyTargetAddress(address);
      if (!verdict.allowed)
        throw DomainError.targetNotAllowed(
          field,
          `the host "${host}" resolves to a non-public address: ${verdict.reason}`,
          'NON_PUBLIC_ADDRESS',
          { host },
        );
    }
    return url;
  }
}

/**
 * Syntax rules, no I/O: an absolute http(s) URL of at most 2048 characters without credentials
 * (they would be logged and shown in clear; Basic authentication has its own, encrypted, field),
 * and https unless plain http is allowed. Callers store `href` of the result, the WHATWG serialisation:
 * what is stored, shown and dialled is the URL the sender actually parses (a raw `https://a\@b/` would
 * show one host and reach another).
 */
export function parseTargetUrl(
  raw: string,
  rules: Pick<TargetUrlRules, 'allowHttpTargets'>,
  field = 'targetUrl',
): URL {
  if (raw.length > MAX_TARGET_URL_LENGTH)
    throw DomainError.invalidField(field, `must be at most ${MAX_TARGET_URL_LENGTH} characters`, {
      code: 'FIELD_TOO_LONG',
      params: { max: MAX_TARGET_URL_LENGTH },
    });
  // The URL parser silently drops tabs and newlines and trims controls: refuse them instead of guessing.
  if (CONTROL_CHARACTER.test(raw))
    throw DomainError.invalidField(field, 'must not contain control characters', {
      code: 'CONTROL_CHARACTERS',
    });
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw DomainError.invalidTargetUrl(
      field,
      'must be an absolute URL such as https://example.com/webhooks',
      'NOT_AN_ABSOLUTE_URL',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw DomainError.invalidTargetUrl(field, 'must use https (or http where allowed)', 'SCHEME_NOT_HTTP');
  if (url.username !== '' || url.password !== '') {
    throw DomainError.invalidTargetUrl(
      field,
      'must not contain credentials; use Basic authentication instead',
      'CREDENTIALS_IN_URL',
    );
  }
  if (url.hostname === '')
    throw DomainError.invalidTargetUrl(field, 'must name a host', 'NOT_AN_ABSOLUTE_URL');
  if (url.port === '0') throw DomainError.invalidTargetUrl(field, 'must not use port 0', 'PORT_ZERO');
  if (url.href.length > MAX_TARGET_URL_LENGTH)
    throw DomainError.invalidTargetUrl(
      field,
      `must be at most ${MAX_TARGET_URL_LENGTH} characters once serialised`,
      'TOO_LONG_ONCE_SERIALISED',
      { max: MAX_TARGET_URL_LENGTH },
    );
  if (url.protocol === 'http:' && !rules.allowHttpTargets) {
    throw DomainError.targetNotAllowed(
      field,
      'must use https (plain http targets are not allowed on this installation)',
      'HTTP_NOT_ALLOWED',
    );
  }
  return url;
}
