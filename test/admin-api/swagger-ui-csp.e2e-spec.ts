import { launchConsoleBrowser, type ConsoleBrowser } from '../console/support/console-browser';
import { startAdminApi, type AdminApiHarness } from './support/admin-api-harness';

/**
 * Issue 15 item 7: Swagger UI at /docs is served with a Content-Security-Policy (scripts from this
 * origin only, no inline script, no eval, nothing sent or framed elsewhere) and still works under it,
 * in a real Chromium: every operation is listed and the browser reports no violation.
 */
describe('Swagger UI under its Content-Security-Policy', () => {
  let api: AdminApiHarness;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    api = await startAdminApi('swagger_csp');
    browser = await launchConsoleBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  function directives(policy: string | null): Map<string, string[]> {
    return new Map(
      (policy ?? '')
        .split(';')
        .map((directive) => directive.trim().split(/\s+/))
        .filter((parts) => parts[0] !== '')
        .map(([name, ...values]) => [name, values]),
    );
  }

  it('sends the policy with the page and with every file of the UI', async () => {
    for (const path of ['/docs', '/docs/', '/docs/swagger-ui-init.js', '/docs/swagger-ui-bundle.js']) {
      const answer = await fetch(`${api.baseUrl}${path}`);
      expect({ path, status: answer.status }).toEqual({ path, status: 200 });
      const policy = directives(answer.headers.get('content-security-policy'));
      expect(policy.get('default-src')).toEqual(["'none'"]);
      expect(policy.get('script-src')).toEqual(["'self'"]);
      expect(policy.get('connect-src')).toEqual(["'self'"]);
      expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('lists the operations in Chromium with no policy violation', async () => {
    const page = await browser.context.newPage();
    const refused: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) refused.push(message.text());
    });
    // Runs in the page (a string: this file is compiled without the DOM's types).
    await page.addInitScript({
      content: `document.addEventListener('securitypolicyviolation', (event) =>
        console.error('Refused to ' + event.violatedDirective + ': ' + event.blockedURI));`,
    });
    await page.goto(`${api.baseUrl}/docs`);
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/webhooks' }).first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(10);
    expect(refused).toEqual([]);
    await page.close();
  }, 60_000);
});
