import { waitFor } from '@lms/testing';
import { startAdminApi, type AdminApiHarness } from '../admin-api/support/admin-api-harness';
import { zhCN } from '../../apps/admin-console/src/i18n/catalogue';
import { launchConsoleBrowser, type ConsoleBrowser } from './support/console-browser';
import { englishWordsOn } from './support/page-checks';
import { WebhooksConsole } from './support/webhooks-console';

jest.setTimeout(120_000);

const ACCOUNT = 181_818;

/** What the DOM gives the page-side functions below (the tests compile without the DOM library). */
interface ElementLike {
  removeAttribute(name: string): void;
  getAttribute(name: string): string | null;
  textContent: string | null;
  querySelectorAll(selector: string): ArrayLike<ElementLike>;
  ownerDocument: { getElementById(id: string): ElementLike | null };
}

/**
 * Issue 18: a field the API refuses is said in the admin's language, by the detail's code and params,
 * on a Chinese page too; only a code the console does not know shows the server's English, marked
 * translate="no". Real Chromium with a zh-CN locale, against the admin API serving the built console.
 */
describe('console: refused fields in Chinese, by the API detail code', () => {
  let api: AdminApiHarness;
  let browser: ConsoleBrowser;
  let zh: WebhooksConsole;

  beforeAll(async () => {
    browser = await launchConsoleBrowser({ locale: 'zh-CN' });
    api = await startAdminApi('console_field_errors');
    zh = new WebhooksConsole(browser.page, zhCN);
    await browser.page.goto(`${api.baseUrl}/console/`);
    await zh.field('token').fill(api.tokenFor(ACCOUNT));
    await zh.button('signIn').click();
    await zh.expectWebhooksPage();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  /** A field's error text and whether it is marked as untranslated. */
  const fieldError = (name: 'name' | 'targetUrl') =>
    zh.field(name).evaluate((field: ElementLike) => {
      const ids = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      // The error, not the field's hint (both describe it): its id ends in "-error".
      const error = ids
        .filter((id) => id.endsWith('-error'))
        .map((id) => field.ownerDocument.getElementById(id))
        .find((element) => element);
      const verbatim = error ? Array.from(error.querySelectorAll('[translate="no"][lang="en"]')) : [];
      return { text: error?.textContent ?? '', verbatim: verbatim.map((element) => element.textContent) };
    });
  const nameError = () => fieldError('name');

  async function submitName(name: string): Promise<void> {
    await zh.openAddForm();
    // The page stops typing at 100 characters; the server's rule is what this test is about.
    await zh.field('name').evaluate((input: ElementLike) => input.removeAttribute('maxlength'));
    await zh.fillForm({ name, targetUrl: 'https://hooks.example.com/lms', events: ['COURSE_ENROLLMENT'] });
    await zh.save();
  }

  it('says a too-long name in Chinese, with the limit the API sent, and no English on the page', async () => {
    const name = '人'.repeat(101);
    // What the API answers for it: the code and params the console words.
    const refused = await api.call('POST', '/api/v1/webhooks', {
      token: api.tokenFor(ACCOUNT),
      body: {
        name,
        targetUrl: 'https://hooks.example.com/lms',
        authentication: { type: 'NONE' },
        events: ['COURSE_ENROLLMENT'],
      },
    });
    expect(refused.body.details).toEqual([
      expect.objectContaining({ field: 'name', code: 'FIELD_TOO_LONG', params: { max: 100 } }),
    ]);

    // English the page shows anyway (the signed-in subject is an identifier): the error must add none.
    const englishBefore = await englishWordsOn(browser.page);
    await submitName(name);
    const expected = zh.t('detailFIELD_TOO_LONG', { max: 100, count: 100 });
    expect(expected).toBe('不能超过 100 个字符');
    await waitFor('the Chinese name error', async () => (await nameError()).text === expected);
    expect(await zh.field('name').getAttribute('aria-invalid')).toBe('true');
    expect(await browser.page.getByText(refused.body.details[0].message).count()).toBe(0);
    expect(await englishWordsOn(browser.page)).toEqual(englishBefore);
    await browser.screenshot('field-errors-zh-too-long');
  });

  it('says a rule the domain checks (a target URL with a non-http scheme) in Chinese, by its reason', async () => {
    await browser.page.goto(`${api.baseUrl}/console/`);
    await zh.expectWebhooksPage();
    // Refused by the URL's syntax, before any DNS lookup: nothing is sent anywhere.
    const targetUrl = 'ftp://hooks.example.com/lms';
    const refused = await api.call('POST', '/api/v1/webhooks', {
      token: api.tokenFor(ACCOUNT),
      body: { name: '人事同步', targetUrl, authentication: { type: 'NONE' }, events: ['COURSE_ENROLLMENT'] },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([
      expect.objectContaining({
        field: 'targetUrl',
        code: 'TARGET_URL_NOT_ALLOWED',
        params: { reason: 'SCHEME_NOT_HTTP' },
      }),
    ]);

    const englishBefore = await englishWordsOn(browser.page);
    await zh.openAddForm();
    await zh.fillForm({ name: '人事同步', targetUrl, events: ['COURSE_ENROLLMENT'] });
    await zh.save();
    const expected = zh.t('detailTARGET_URL_NOT_ALLOWED_SCHEME_NOT_HTTP');
    expect(expected).toBe('必须以 https://（或在允许时以 http://）开头');
    await waitFor(
      'the Chinese target URL error',
      async () => (await fieldError('targetUrl')).text === expected,
    );
    expect((await fieldError('targetUrl')).verbatim).toEqual([]);
    expect(await zh.field('targetUrl').getAttribute('aria-invalid')).toBe('true');
    expect(await browser.page.getByText(refused.body.details[0].message).count()).toBe(0);
    expect(await englishWordsOn(browser.page)).toEqual(englishBefore);
    await browser.screenshot('field-errors-zh-target-url-scheme');
  });

  it('shows the server\'s English for a code the console does not know, marked translate="no"', async () => {
    await browser.page.goto(`${api.baseUrl}/console/`);
    await zh.expectWebhooksPage();
    const englishBefore = await englishWordsOn(browser.page);
    // A newer server with a rule this console has no words for.
    await browser.page.route('**/api/v1/webhooks', (route) =>
      route.request().method() === 'POST'
        ? route.fulfill({
            status: 400,
            contentType: 'application/json',
            body: JSON.stringify({
              statusCode: 400,
              code: 'VALIDATION_FAILED',
              message: 'name must rhyme',
              details: [{ field: 'name', code: 'MUST_RHYME', message: 'must rhyme' }],
            }),
          })
        : route.fallback(),
    );
    try {
      await submitName('人事同步');
      await waitFor('the untranslated name error', async () => (await nameError()).text === 'must rhyme');
      expect((await nameError()).verbatim).toEqual(['must rhyme']);
      // Marked, so the English-on-a-Chinese-page check (and a page translator) leaves it alone.
      expect(await englishWordsOn(browser.page)).toEqual(englishBefore);
    } finally {
      await browser.page.unroute('**/api/v1/webhooks');
    }
  });
});
