import { CATALOGUES, en, format, forms, pickLanguage, placeholders, zhCN } from './catalogue';
import { EVENT_DESCRIPTIONS } from './event-descriptions';

// The server's event table, through Jest's module map (the console's own compile has no @lms paths).
const { EVENT_CATALOGUE } = jest.requireActual<{
  EVENT_CATALOGUE: readonly { name: string; description: string }[];
}>('@lms/payload-schemas');

// The codes a detail of the admin API can carry, from the server's own list (not a copy of it).
const { VALIDATION_DETAIL_CODES, DOMAIN_DETAIL_CODES, TARGET_URL_REFUSALS, DETAIL_CODES, INVALID_VALUE } =
  jest.requireActual<{
    VALIDATION_DETAIL_CODES: readonly string[];
    DOMAIN_DETAIL_CODES: readonly string[];
    TARGET_URL_REFUSALS: readonly string[];
    DETAIL_CODES: readonly string[];
    INVALID_VALUE: string;
  }>('../../../admin-api/src/http/validation-detail-codes');

describe('console catalogues', () => {
  it('have the same keys in every language', () => {
    const english = Object.keys(en).sort();
    for (const catalogue of Object.values(CATALOGUES)) expect(Object.keys(catalogue).sort()).toEqual(english);
  });

  it('use the same placeholders for each key, and no string is empty', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect([key, placeholders(zhCN[key])]).toEqual([key, placeholders(en[key])]);
      for (const form of forms(zhCN[key])) expect(form.length).toBeGreaterThan(0);
      // A message is plural in both languages or in neither.
      expect([key, typeof zhCN[key]]).toEqual([key, typeof en[key]]);
    }
  });

  it('pick the first language the browser prefers that the console speaks', () => {
    expect(pickLanguage(['zh-CN', 'en-US'])).toBe('zh-CN');
    expect(pickLanguage(['fr-FR', 'zh-Hans', 'en'])).toBe('zh-CN');
    expect(pickLanguage(['en-GB', 'zh-CN'])).toBe('en');
    expect(pickLanguage(['de'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('fill placeholders and leave unknown ones visible', () => {
    expect(format(en.limitReached, { count: 5, max: 5 })).toBe('At most 5 webhooks per account');
    expect(format('{a} {b}', { a: 1 })).toBe('1 {b}');
  });

  it('say "1 event" and "2 events" in English, "1 个事件" in Chinese (plural rules, not "1 events")', () => {
    expect(format(en.eventCount, { count: 1 }, 'en')).toBe('1 event');
    expect(format(en.eventCount, { count: 2 }, 'en')).toBe('2 events');
    expect(format(en.eventCount, { count: 0 }, 'en')).toBe('0 events');
    expect(format(zhCN.eventCount, { count: 1 }, 'zh-CN')).toBe('1 个事件');
    expect(format(en.limitReached, { count: 1, max: 1 }, 'en')).toBe('At most 1 webhook per account');
    expect(format(en.redelivered, { count: 1 }, 'en')).toBe(
      'Redelivery queued: 1 event appended to the lane.',
    );
  });

  it('have a plural form for every category each language uses', () => {
    for (const [language, catalogue] of Object.entries(CATALOGUES)) {
      const categories = new Intl.PluralRules(language).resolvedOptions().pluralCategories;
      for (const message of Object.values(catalogue))
        if (typeof message !== 'string')
          for (const category of categories) expect(message).toHaveProperty(category);
    }
  });

  it("describe every event of the server's catalogue in both languages, in English as the API does", () => {
    for (const event of EVENT_CATALOGUE) {
      expect([event.name, EVENT_DESCRIPTIONS.en[event.name]]).toEqual([event.name, event.description]);
      expect(EVENT_DESCRIPTIONS['zh-CN'][event.name]).toMatch(/\p{Script=Han}/u);
    }
    expect(Object.keys(EVENT_DESCRIPTIONS['zh-CN']).sort()).toEqual(
      Object.keys(EVENT_DESCRIPTIONS.en).sort(),
    );
  });

  it('word every detail code of the admin API in English and in Chinese (a new code without words fails here)', () => {
    expect(VALIDATION_DETAIL_CODES.length).toBeGreaterThan(20);
    expect(DOMAIN_DETAIL_CODES).toContain('TARGET_URL_NOT_ALLOWED');
    expect(TARGET_URL_REFUSALS.length).toBeGreaterThan(5);
    const unworded: string[] = [];
    const keys = [
      ...DETAIL_CODES.filter((code) => code !== INVALID_VALUE) // its message is the only text there is
        .map((code) =>
          [...VALIDATION_DETAIL_CODES, ...DOMAIN_DETAIL_CODES].includes(code)
            ? `detail${code}`
            : `error${code}`,
        ),
      // A refused target URL is said by its reason.
      ...TARGET_URL_REFUSALS.map((reason) => `detailTARGET_URL_NOT_ALLOWED_${reason}`),
    ];
    for (const name of keys) {
      const key = name as keyof typeof en;
      if (!(key in en) || !(key in zhCN)) {
        unworded.push(name);
        continue;
      }
      for (const form of forms(en[key]))
        expect([key, form]).toEqual([key, expect.stringMatching(/^[ -~]+$/)]);
      for (const form of forms(zhCN[key]))
        expect([key, form]).toEqual([key, expect.stringMatching(/\p{Script=Han}/u)]);
    }
    expect(unworded).toEqual([]);
  });
});
