import { DomainErrorCode } from '../errors/domain-error';
import { normalizeWebhookName } from './webhook-name';

describe('normalizeWebhookName', () => {
  it('stores the NFC form, so a decomposed "é" and a precomposed one are the same name', () => {
    expect(normalizeWebhookName('Cafe\u0301 sync')).toBe('Caf\u00e9 sync');
    expect(normalizeWebhookName('HR sync')).toBe('HR sync');
  });

  it.each([
    ['a zero-width space', 'HR\u200bsync'],
    ['a right-to-left override', 'HR \u202esync'],
    ['a byte order mark', '\ufeffHR sync'],
    ['a soft hyphen', 'HR\u00adsync'],
    ['a control character', 'HR\u0085sync'],
    ['only whitespace', ' \u3000 '],
  ])('refuses %s with VALIDATION_FAILED on name', (_label, name) => {
    expect(() => normalizeWebhookName(name)).toThrow(
      expect.objectContaining({
        code: DomainErrorCode.VALIDATION_FAILED,
        details: [expect.objectContaining({ field: 'name' })],
      }),
    );
  });

  it('counts the length after normalisation, in code points', () => {
    // U+0958 is excluded from composition: NFC spells it with two code points.
    expect(() => normalizeWebhookName('\u0958'.repeat(60))).toThrow(/at most 100 characters/);
    expect(normalizeWebhookName('😀'.repeat(100))).toHaveLength(200);
  });
});
