import { CATALOGUES, en, format, pickLanguage, placeholders, zhCN } from './catalogue';

describe('console catalogues', () => {
  it('have the same keys in every language', () => {
    const english = Object.keys(en).sort();
    for (const catalogue of Object.values(CATALOGUES)) expect(Object.keys(catalogue).sort()).toEqual(english);
  });

  it('use the same placeholders for each key, and no string is empty', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect([key, placeholders(zhCN[key])]).toEqual([key, placeholders(en[key])]);
      expect(zhCN[key].length).toBeGreaterThan(0);
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
    expect(format(en.limitReached, { max: 5 })).toBe('At most 5 webhooks per account');
    expect(format('{a} {b}', { a: 1 })).toBe('1 {b}');
  });
});
