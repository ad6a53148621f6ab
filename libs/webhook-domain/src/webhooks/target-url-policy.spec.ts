import { DomainError, DomainErrorCode } from '../errors/domain-error';
import { parseTargetUrl, TargetUrlPolicy } from './target-url-policy';

const strict = { allowPrivateTargets: false, allowHttpTargets: false };

async function codeOf(work: Promise<unknown>): Promise<DomainErrorCode | 'ok'> {
  try {
    await work;
    return 'ok';
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('TargetUrlPolicy', () => {
  const resolver = (answers: Record<string, string[]>) => async (host: string) => {
    const addresses = answers[host];
    if (!addresses) throw new Error(`ENOTFOUND ${host}`);
    return addresses;
  };

  it('accepts an https URL whose host resolves only to public addresses', async () => {
    const policy = new TargetUrlPolicy(
      strict,
      resolver({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] }),
    );
    expect(await codeOf(policy.assertAllowed('https://hooks.example.com/lms'))).toBe('ok');
  });

  it('refuses a host when ANY of its addresses is private (the connection could use that one)', async () => {
    const policy = new TargetUrlPolicy(
      strict,
      resolver({ 'mixed.example.com': ['93.184.215.14', '10.0.0.5'] }),
    );
    expect(await codeOf(policy.assertAllowed('https://mixed.example.com/'))).toBe(
      DomainErrorCode.TARGET_NOT_ALLOWED,
    );
  });

  it('refuses a host that does not resolve', async () => {
    const policy = new TargetUrlPolicy(strict, resolver({}));
    expect(await codeOf(policy.assertAllowed('https://nowhere.example.com/'))).toBe(
      DomainErrorCode.TARGET_NOT_ALLOWED,
    );
  });

  it.each([
    'https://127.0.0.1/',
    'https://[::1]/',
    'https://169.254.169.254/',
    'https://[fd00:ec2::254]/',
    'https://0177.0.0.1/',
    'https://[::7f00:1]/',
    'https://[::127.0.0.1]/',
    'https://[::ffff:0:7f00:1]/',
    'https://[2002:a9fe:a9fe::]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[64:ff9b:1::a00:1]/',
    'https://[fec0::1]/',
    'https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/',
    'https://192.88.99.1/',
  ])('refuses the literal non-public address in %s without resolving anything', async (url) => {
    const policy = new TargetUrlPolicy(strict, () => Promise.reject(new Error('must not resolve')));
    expect(await codeOf(policy.assertAllowed(url))).toBe(DomainErrorCode.TARGET_NOT_ALLOWED);
  });

  it('allows private and loopback targets when configured, without resolving', async () => {
    const policy = new TargetUrlPolicy({ allowPrivateTargets: true, allowHttpTargets: true }, () =>
      Promise.reject(new Error('no')),
    );
    expect(await codeOf(policy.assertAllowed('http://internal.service:8080/hook'))).toBe('ok');
  });
});

describe('parseTargetUrl', () => {
  it.each([
    ['relative', '/hook', DomainErrorCode.VALIDATION_FAILED],
    ['ftp', 'ftp://example.com/', DomainErrorCode.VALIDATION_FAILED],
    ['credentials', 'https://u:p@example.com/', DomainErrorCode.VALIDATION_FAILED],
    ['too long', `https://example.com/${'a'.repeat(2048)}`, DomainErrorCode.VALIDATION_FAILED],
    ['plain http', 'http://example.com/', DomainErrorCode.TARGET_NOT_ALLOWED],
    ['CR/LF', 'https://example.com/a\r\nX-Injected: 1', DomainErrorCode.VALIDATION_FAILED],
    ['a TAB in the host', 'https://exa\tmple.com/', DomainErrorCode.VALIDATION_FAILED],
    ['a NUL', 'https://example.com/\u0000', DomainErrorCode.VALIDATION_FAILED],
    ['a C1 control', 'https://example.com/\u0085', DomainErrorCode.VALIDATION_FAILED],
    ['port 0', 'https://example.com:0/', DomainErrorCode.VALIDATION_FAILED],
    ['port 0 spelled 000', 'https://example.com:000/', DomainErrorCode.VALIDATION_FAILED],
    ['too long once serialised', `https://example.com/${'é'.repeat(400)}`, DomainErrorCode.VALIDATION_FAILED],
  ])('refuses %s', (_label, url, code) => {
    expect(() => parseTargetUrl(url, { allowHttpTargets: false })).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    [' https://example.com/hook', 'https://example.com/hook'],
    ['https://evil.example\\@good.example/', 'https://evil.example/@good.example/'],
    ['HTTPS://Example.COM:443/a/../b?x=1#frag', 'https://example.com/b?x=1#frag'],
    ['https://example.com/a b', 'https://example.com/a%20b'],
    ['https://[::FFFF:8.8.4.4]/', 'https://[::ffff:808:404]/'],
  ])('serialises %p as the WHATWG URL the sender dials', (raw, href) => {
    expect(parseTargetUrl(raw, { allowHttpTargets: false }).href).toBe(href);
  });

  it('accepts plain http when allowed', () => {
    expect(parseTargetUrl('http://example.com/x?y=1', { allowHttpTargets: true }).href).toBe(
      'http://example.com/x?y=1',
    );
  });
});
