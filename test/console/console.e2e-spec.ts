import { randomInt } from 'node:crypto';
import { answerJson, startListener, waitFor, type ReceivedRequest, type TestListener } from '@lms/testing';
import type { Locator } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { wireEvent } from '../ingestion/support/lms-wire.factory';
import { launchConsoleBrowser, type ConsoleBrowser } from './support/console-browser';
import { ConsoleStack } from './support/console-stack';
import { axeViolations, englishWordsOn } from './support/page-checks';
import { en, zhCN } from '../../apps/admin-console/src/i18n/catalogue';
import { WebhooksConsole } from './support/webhooks-console';

jest.setTimeout(180_000);

const EVENTS = ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'];

/**
 * The Integration Admin's console (issue 11) in a real Chromium, against the real stack: admin-api
 * serving the built console, event-ingestion on Kafka, a dispatcher, and a loopback listener as the
 * receiving system. Each step leaves a screenshot in .test-results/console/.
 */
describe('console: the LMS Webhooks page in a real browser', () => {
  let stack: ConsoleStack;
  let browser: ConsoleBrowser;
  let listener: TestListener;
  let ui: WebhooksConsole;
  const account = randomInt(100_000, 1_000_000_000);
  const subject = 'alice';
  let accountToken: string;
  const token = () => accountToken;
  const name = 'HR sync';
  let webhookId: string;
  let secret: string;
  let firstDeliveryId: string;

  beforeAll(async () => {
    // The browser first: a machine without chromium fails here at once, with how to install it.
    browser = await launchConsoleBrowser();
    // The receiving system answers 200 with a small JSON body, as the LMS page's Test Webhook expects.
    [stack, listener] = await Promise.all([
      ConsoleStack.start('console'),
      startListener(answerJson(200, '{"received":true}')),
    ]);
    accountToken = stack.tokenFor(account, { sub: subject });
    ui = new WebhooksConsole(browser.page);
  });

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    await stack?.close();
  });

  let failedStep: string | undefined;
  /**
   * One step of the webhook's life (add → … → delete): each needs the previous ones, so after a
   * failure the rest fail at once, naming it, instead of each waiting out its timeouts. A failing
   * step leaves a screenshot of the page as it was.
   */
  function step(title: string, run: () => Promise<void>): void {
    it(title, async () => {
      if (failedStep) throw new Error(`not run: the step "${failedStep}" failed`);
      try {
        await run();
      } catch (error) {
        failedStep = title;
        await browser.screenshot(`failed-${title.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
        throw error;
      }
    });
  }

  /** The requests the listener got that carry this event id (a test-send carries a sample event). */
  const requestsFor = (eventId: string): ReceivedRequest[] =>
    listener.requests.filter((request) => request.body.includes(eventId));

  it('speaks the labels agreed with the LMS page (en.ts)', () => {
    // The page object reads en.ts; this pins the words the LMS page uses, so a renamed label fails here.
    expect(en).toMatchObject({
      webhooks: 'Webhooks',
      deliveriesHeading: 'Deliveries',
      auditLog: 'Audit log',
      addWebhook: 'Add Webhook',
      edit: 'Edit',
      delete: 'Delete',
      testWebhook: 'Test Webhook',
      save: 'Save',
      downloadSignature: 'Download Signature',
      redeliver: 'Redeliver',
      replay: 'Replay',
      signIn: 'Sign in',
      cancel: 'Cancel',
      nextPage: 'Next page',
      name: 'Name',
      description: 'Description',
      targetUrl: 'Target URL',
      authentication: 'Authentication',
      authNONE: 'None',
      authBASIC: 'Basic',
      authSIGNATURE: 'Signature',
      username: 'Username',
      password: 'Password',
      triggerEvents: 'Trigger Events',
      realtime: 'Real-time',
      nonRealtime: 'Non-real-time',
      filterEvents: 'Filter events',
      activationStatus: 'Activation status',
      activationFor: 'Activation status for {name}',
      advanced: 'Advanced',
      maxInFlight: 'Max in flight',
      maxEventsPerRequest: 'Max events per request',
      rateLimitPerSecond: 'Rate limit per second',
      token: 'Token',
      language: 'Language',
      status: 'Status',
      from: 'From',
      to: 'To',
      limitReached: { one: 'At most {max} webhook per account', other: 'At most {max} webhooks per account' },
    });
  });

  it('signs in with the console URL only after Continue on a dialog naming the account and subject', async () => {
    const { page } = browser;
    await page.goto(stack.consoleUrl(token()));
    const dialog = ui.linkSignInDialog();
    await dialog.getByText(ui.t('linkSignInQuestion', { account, subject }), { exact: true }).waitFor();
    // While the question is open the fragment is already gone and nothing is signed in.
    await waitFor('the fragment to leave the address bar', () => new URL(page.url()).hash === '');
    expect(await ui.storedTokens()).not.toContain(token());
    expect(await ui.heading('webhooks').count()).toBe(0);
    await browser.screenshot('01-link-sign-in');

    await ui.continueLinkSignIn(account, subject);
    await ui.expectWebhooksPage();
    await ui.signedInAs(account, subject).waitFor();
    expect(await ui.storedTokens()).toContain(token());
    await browser.screenshot('01-signed-in');
  });

  it('Cancel on the link dialog signs nothing in; a link whose token cannot be read offers no Continue', async () => {
    const tab = await browser.context.newPage();
    const tabUi = new WebhooksConsole(tab);
    try {
      await tab.goto(stack.consoleUrl(token()));
      const dialog = tabUi.linkSignInDialog();
      await dialog.getByText(tabUi.t('linkSignInQuestion', { account, subject }), { exact: true }).waitFor();
      await tabUi.button('cancel', dialog).click();
      await dialog.waitFor({ state: 'hidden' });
      await tabUi.field('token').waitFor();
      expect(new URL(tab.url()).hash).toBe('');
      expect(await tabUi.storedTokens()).not.toContain(token());

      // Cancel has the focus, so a hurried Enter signs nothing in either (Continue would keep the
      // dialog open until the API answered, and store the token before closing it).
      await tab.goto(stack.consoleUrl(token()));
      await dialog.getByText(tabUi.t('linkSignInQuestion', { account, subject }), { exact: true }).waitFor();
      await tab.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
      expect(await tabUi.storedTokens()).not.toContain(token());
      await tabUi.field('token').waitFor();

      // Only the fragment changes here: the open page asks as well (hashchange), and cannot use it.
      await tab.goto(stack.consoleUrl('not-a-token'));
      await dialog.getByText(tabUi.t('linkTokenUnreadable'), { exact: true }).waitFor();
      expect(await tabUi.button('continue', dialog).count()).toBe(0);
      await waitFor('the fragment to leave the address bar', () => new URL(tab.url()).hash === '');
      await tabUi.button('cancel', dialog).click();
      await tabUi.field('token').waitFor();
      expect(await tabUi.storedTokens()).not.toContain('not-a-token');
    } finally {
      await tab.close();
    }
  });

  it("names the tab's current account before a link for another replaces it, and keeps it on Cancel", async () => {
    const other = randomInt(100_000, 1_000_000_000);
    const otherSubject = 'mallory';
    const otherToken = stack.tokenFor(other, { sub: otherSubject });
    const tab = await browser.context.newPage();
    const tabUi = new WebhooksConsole(tab);
    try {
      await tab.goto(stack.consoleUrl(token()));
      await tabUi.continueLinkSignIn(account, subject);
      await tabUi.signedInAs(account, subject).waitFor();

      // A fresh load of the other account's link, with this tab's token in sessionStorage.
      await tab.goto('about:blank');
      await tab.goto(stack.consoleUrl(otherToken));
      const dialog = tabUi.linkSignInDialog();
      await dialog
        .getByText(tabUi.t('linkSignInQuestion', { account: other, subject: otherSubject }), { exact: true })
        .waitFor();
      await dialog.getByText(tabUi.t('linkSignInReplaces', { account, subject }), { exact: true }).waitFor();
      await browser.screenshot('01c-link-for-another-account', tab);
      await tabUi.button('cancel', dialog).click();
      await dialog.waitFor({ state: 'hidden' });
      await tabUi.expectWebhooksPage();
      await tabUi.signedInAs(account, subject).waitFor();
      expect(await tabUi.storedTokens()).toEqual([token()]);

      // The same link again in the open page: Continue switches the tab to the other account.
      await tab.goto(stack.consoleUrl(otherToken));
      await tabUi.continueLinkSignIn(other, otherSubject);
      await tabUi.signedInAs(other, otherSubject).waitFor();
      expect(await tabUi.storedTokens()).toEqual([otherToken]);
    } finally {
      await tab.close();
    }
  });

  it('turns an expired token and a token without the Integration Admin role away, saying which', async () => {
    const tab = await browser.context.newPage();
    const tabUi = new WebhooksConsole(tab);
    try {
      const cases = [
        { token: stack.tokenFor(account, { ttlSeconds: -60 }), says: ui.t('tokenExpired') },
        { token: stack.tokenFor(account, { roles: ['LEARNER'] }), says: ui.t('tokenForbidden') },
      ];
      for (const { token: refused, says } of cases) {
        await tab.goto(stack.consoleUrl(refused));
        // Continue asks the API first: the refusal is shown in the dialog, which then offers only Cancel.
        const dialog = tabUi.linkSignInDialog();
        await tabUi.button('continue', dialog).click();
        await dialog.getByRole('alert').filter({ hasText: says }).waitFor();
        expect(await tabUi.button('continue', dialog).count()).toBe(0);
        expect(await tabUi.storedTokens()).not.toContain(refused);
        await browser.screenshot('01b-expired-token', tab);
        await tabUi.button('cancel', dialog).click();
        // Back on the sign-in form, and the refused token is not kept.
        await tab.getByLabel(en.token, { exact: true }).waitFor();
        expect(await tabUi.storedTokens()).not.toContain(refused);
      }
    } finally {
      await tab.close();
    }
  });

  step(
    'adds a Signature webhook for two events and Test Webhook against the listener shows 200',
    async () => {
      const { page } = browser;
      await ui.openAddForm();
      await ui.fillForm({
        name,
        description: 'Enrollments and completions to the HR system',
        targetUrl: listener.url,
        authentication: 'SIGNATURE',
        events: [],
      });
      // The filter box narrows the catalogue: a real-time event outside it disappears.
      await ui.field('filterEvents').fill('COURSE_');
      await ui.eventCheckbox('CI_STATS').waitFor({ state: 'hidden' });
      for (const event of EVENTS) await ui.eventCheckbox(event).check();
      // Delivery settings live under the Advanced disclosure.
      await page.getByText(ui.t('advanced'), { exact: true }).click();
      await ui.field('maxInFlight').waitFor();
      await ui.field('rateLimitPerSecond').fill('50');
      // Trace context headers are on unless turned off.
      const traceHeaders = page.getByRole('switch', { name: ui.t('traceContextHeaders') });
      expect(await traceHeaders.isChecked()).toBe(true);
      await traceHeaders.uncheck();
      await page.getByText(ui.t('advanced'), { exact: true }).click();
      await browser.screenshot('02-add-form');

      await ui.button('testWebhook').click();
      await listener.waitForRequests(1);
      await page
        .getByRole('status')
        .filter({ hasText: ui.t('testStatusCode', { code: 200 }) })
        .waitFor();
      await browser.screenshot('03-test-webhook-200');

      await ui.save();
      await ui.expectWebhooksPage();
      const created = await waitFor('the webhook to be saved', async () => {
        const list = await stack.call('GET', '/webhooks', token());
        return (list.body as { id: string; name: string }[]).find((webhook) => webhook.name === name);
      });
      webhookId = created.id;
      const saved = await stack.call('GET', `/webhooks/${webhookId}`, token());
      expect(saved.body).toMatchObject({
        targetUrl: listener.url,
        authentication: { type: 'SIGNATURE' },
        active: false,
      });
      expect([...saved.body.events].sort()).toEqual([...EVENTS].sort());
      expect(saved.body).toMatchObject({
        rateLimitPerSecond: 50,
        maxInFlight: 1,
        traceContextHeaders: false,
      });
      await ui.webhookRow(name).waitFor();
    },
  );

  step('Download Signature saves the JSON file with the signing secret', async () => {
    await ui.button('edit', ui.webhookRow(name)).click();
    // Every page's header says whose account it is.
    await ui.signedInAs(account, subject).waitFor();
    const file = await ui.downloadSignature();
    expect(file.fileName).toBe(`webhook-${webhookId}-signing-secret.json`);
    expect(file.json.webhookId).toBe(webhookId);
    expect(file.json.secret).toMatch(/^whsec_/);
    secret = file.json.secret;
    await browser.screenshot('04-signature-downloaded');
  });

  step('activates the webhook from the list', async () => {
    await openList();
    await ui.setActive(name, true);
    await waitFor('the webhook to be active', async () => {
      return (await stack.call('GET', `/webhooks/${webhookId}`, token())).body.active === true;
    });
    await browser.screenshot('05-activated');
  });

  step(
    'delivers an event produced to Kafka, signed with the downloaded secret, and shows it in the log',
    async () => {
      const event = wireEvent(account, 'COURSE_ENROLLMENT');
      const eventId = String(event.eventId);
      await stack.produce(account, [event]);
      const delivered = await waitFor('the event at the listener', () => requestsFor(eventId)[0], 60_000);
      // The secret from the downloaded file verifies what the dispatcher sent.
      const verified = new Webhook(secret).verify(delivered.body, headersOf(delivered));
      expect(JSON.stringify(verified)).toContain(eventId);

      await openDeliveries();
      await refreshUntil(
        'the delivery in the log',
        async () => (await ui.deliveryRows('SUCCEEDED').count()) === 1,
      );
      // The Status filter narrows the log: nothing has failed.
      await ui.field('status').selectOption({ label: ui.t('deliveryDEAD') });
      await page().getByText(ui.t('noDeliveries'), { exact: true }).waitFor();
      await ui.field('status').selectOption({ label: ui.t('allStatuses') });
      await ui.deliveryRows('SUCCEEDED').waitFor();
      const log = await stack.call('GET', `/webhooks/${webhookId}/deliveries`, token());
      expect(log.body.items).toHaveLength(1);
      firstDeliveryId = log.body.items[0].id;
      await ui.button('details', ui.deliveryRows('SUCCEEDED')).click();
      await page()
        .getByRole('heading', { name: ui.t('deliveryHeading', { id: firstDeliveryId }) })
        .waitFor();
      await ui.signedInAs(account, subject).waitFor();
      await page().getByRole('cell', { name: eventId }).waitFor();
      // Each attempt shows its trace id (none here: this stack does not trace; test/tracing shows one).
      await page()
        .getByRole('columnheader', { name: ui.t('colTraceId') })
        .waitFor();
      const detail = await stack.call('GET', `/deliveries/${firstDeliveryId}`, token());
      expect(detail.body.attempts).toEqual([expect.objectContaining({ traceId: null })]);
      await browser.screenshot('06-delivery-log');
    },
  );

  step("each page has its URL: a reload keeps it, and a delivery's link opens its details", async () => {
    const deliveryUrl = `${stack.baseUrl}/console/webhooks/${webhookId}/deliveries/${firstDeliveryId}`;
    // Details opened from the log changed the address to the delivery's own.
    expect(page().url()).toBe(deliveryUrl);
    await page().reload();
    const heading = page().getByRole('heading', { name: ui.t('deliveryHeading', { id: firstDeliveryId }) });
    await heading.waitFor();
    await ui.heading('deliveriesHeading').waitFor();
    // The details take focus when they open, and only then: a filter that re-renders the page
    // leaves focus on the filter (the heading used to take it on every render).
    await waitFor('the details heading to have focus', () => hasFocus(heading));
    // A read the page no longer needs is cancelled: Refresh's answer is held back by the browser,
    // the filter changes meanwhile, and the held request is aborted instead of landing later over
    // the filtered log (an older answer overwriting a newer one).
    const unfiltered = (url: URL) =>
      url.pathname.endsWith(`/webhooks/${webhookId}/deliveries`) && !url.searchParams.has('status');
    await page().route(unfiltered, () => undefined);
    const stale = page().waitForRequest((request) => unfiltered(new URL(request.url())));
    await ui.button('refresh').click();
    const staleRequest = await stale;
    const aborted = page().waitForEvent('requestfailed', (request) => request === staleRequest);
    await ui.field('status').focus();
    await ui.field('status').selectOption({ label: ui.t('deliveryDEAD') });
    await page().getByText(ui.t('noDeliveries'), { exact: true }).waitFor();
    await aborted;
    await page().unroute(unfiltered);
    expect(await hasFocus(ui.field('status'))).toBe(true);
    await ui.field('status').selectOption({ label: ui.t('allStatuses') });
    await ui.deliveryRows('SUCCEEDED').waitFor();
    // The link is a plain address: another tab opens it, signed in from this tab's session copy.
    await page().goto(`${stack.baseUrl}/console/webhooks/${webhookId}`);
    await ui.heading('editHeading').waitFor();
    expect(await ui.field('name').inputValue()).toBe(name);
    await page().goBack();
    await heading.waitFor();
    await page().goto(`${stack.baseUrl}/console/no-such-page`);
    await ui.heading('notFoundHeading').waitFor();
    await page().goto(deliveryUrl);
    await heading.waitFor();
  });

  step('Redeliver queues it: the new delivery appears with redeliveryOf when its turn comes', async () => {
    const before = listener.requests.length;
    await ui.button('redeliver').click();
    await page()
      .getByRole('status')
      .filter({ hasText: ui.t('redelivered', { count: 1 }) })
      .waitFor();
    await listener.waitForRequests(before + 1, 60_000);
    const redelivery = await waitFor('the redelivery in the log', async () => {
      const log = await stack.call('GET', `/webhooks/${webhookId}/deliveries`, token());
      return (log.body.items as { id: string; redeliveryOf: string | null; status: string }[]).find(
        (item) => item.redeliveryOf === firstDeliveryId && item.status === 'SUCCEEDED',
      );
    });
    expect(redelivery.id).not.toBe(firstDeliveryId);
    await refreshUntil(
      'both deliveries in the log',
      async () => (await ui.deliveryRows('SUCCEEDED').count()) === 2,
    );
    await browser.screenshot('07-redelivered');
  });

  step('Replay re-sends the events of a time range', async () => {
    const before = listener.requests.length;
    // datetime-local in the browser's zone (UTC here), to the second.
    const local = (at: number) => new Date(at).toISOString().slice(0, 19);
    await ui.field('from').fill(local(Date.now() - 60 * 60_000));
    await ui.field('to').fill(local(Date.now() + 60_000));
    await ui.button('replay').click();
    const queued = ui.t('replayed', { count: 1, realtime: 1, batched: 0 });
    await page().getByRole('status').filter({ hasText: queued }).waitFor();
    await listener.waitForRequests(before + 1, 60_000);
    await refreshUntil(
      'the replayed delivery',
      async () => (await ui.deliveryRows('SUCCEEDED').count()) === 3,
    );
    await browser.screenshot('07b-replayed');
  });

  step('retires the webhook (Activation status off)', async () => {
    await openList();
    await ui.setActive(name, false);
    await waitFor('the webhook to be retired', async () => {
      return (await stack.call('GET', `/webhooks/${webhookId}`, token())).body.active === false;
    });
    await browser.screenshot('08-retired');
  });

  step('deletes the webhook after the confirmation dialog', async () => {
    await ui.button('delete', ui.webhookRow(name)).click();
    const dialog = page().getByRole('dialog');
    await dialog.waitFor();
    await browser.screenshot('09-delete-confirmation');
    await ui.button('delete', dialog).click();
    await dialog.waitFor({ state: 'hidden' });
    await ui.webhookRow(name).waitFor({ state: 'detached' });
    expect((await stack.call('GET', `/webhooks/${webhookId}`, token())).status).toBe(404);
  });

  it("shows the API's field error beside Target URL for ftp://x", async () => {
    const body = {
      name: 'Bad target',
      targetUrl: 'ftp://x',
      authentication: { type: 'NONE' },
      events: ['COURSE_ENROLLMENT'],
    };
    // What the API says about this target, asked directly: the console says that rule (its code and
    // reason) in the page's language.
    const refused = await stack.call('POST', '/webhooks', token(), body);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const details = (refused.body.details ?? []) as {
      field: string;
      code: string;
      params?: { reason?: string };
    }[];
    const detail = details.find((candidate) => candidate.field === 'targetUrl');
    expect(detail).toMatchObject({ code: 'TARGET_URL_NOT_ALLOWED', params: { reason: 'SCHEME_NOT_HTTP' } });
    const expected = ui.t('detailTARGET_URL_NOT_ALLOWED_SCHEME_NOT_HTTP');

    await ui.openAddForm();
    await ui.fillForm({ ...body, authentication: 'NONE' });
    await ui.save();
    await waitFor('the Target URL error', async () =>
      (await ui.fieldDescription('targetUrl')).includes(expected),
    );
    expect(await ui.field('targetUrl').getAttribute('aria-invalid')).toBe('true');
    await browser.screenshot('10-target-url-error');
  });

  it('refuses a sixth webhook with the reason', async () => {
    const full = randomInt(100_000, 1_000_000_000);
    const fullToken = stack.tokenFor(full);
    for (let index = 1; index <= 5; index++) {
      const created = await stack.call('POST', '/webhooks', fullToken, {
        name: `Webhook ${index}`,
        targetUrl: listener.url,
        authentication: { type: 'NONE' },
        events: ['COURSE_ENROLLMENT'],
      });
      expect(created.status).toBe(201);
    }
    // A new tab has its own sessionStorage: this account's console URL signs it in.
    const tab = await browser.context.newPage();
    try {
      await tab.goto(stack.consoleUrl(fullToken));
      const fullUi = new WebhooksConsole(tab);
      await fullUi.continueLinkSignIn(full, `admin-${full}`);
      await fullUi.webhookRow('Webhook 5').waitFor();
      const add = fullUi.button('addWebhook');
      expect(await add.isDisabled()).toBe(true);
      const reason = ui.t('limitReached', { count: 5, max: 5 });
      expect(reason).toBe('At most 5 webhooks per account');
      await tab.getByText(reason, { exact: true }).waitFor();
      // The reason is the disabled button's description, so a screen reader hears why.
      expect(
        await add.evaluate((button: { getAttribute(name: string): string | null }) =>
          button.getAttribute('aria-describedby'),
        ),
      ).toBeTruthy();
      await browser.screenshot('11-sixth-refused', tab);
    } finally {
      await tab.close();
    }
  });

  it('renders the same flow in Simplified Chinese from the zh-CN catalogue', async () => {
    const other = randomInt(100_000, 1_000_000_000);
    const otherToken = stack.tokenFor(other);
    const tab = await browser.context.newPage();
    try {
      // Pasted-token sign-in, in Chinese: the language is switched before signing in.
      await tab.goto(`${stack.baseUrl}/console/`);
      await tab.getByLabel(en.language, { exact: true }).selectOption({ label: '简体中文' });
      const zh = new WebhooksConsole(tab, zhCN);
      await zh.field('token').fill(otherToken);
      await zh.button('signIn').click();
      await zh.expectWebhooksPage();
      await zh.signedInAs(other, `admin-${other}`).waitFor();
      await browser.screenshot('12-zh-signed-in', tab);

      await zh.openAddForm();
      for (const key of ['name', 'description', 'targetUrl', 'filterEvents'] as const)
        await zh.field(key).waitFor();
      await tab.getByRole('radiogroup', { name: zhCN.authentication }).waitFor();
      await tab.getByRole('group', { name: zhCN.triggerEvents }).waitFor();
      await zh.fillForm({ name: '人事同步', targetUrl: listener.url, events: ['COURSE_ENROLLMENT'] });
      await browser.screenshot('13-zh-add-form', tab);
      await zh.save();
      await zh.webhookRow('人事同步').waitFor();
      await tab
        .getByRole('status')
        .filter({ hasText: zh.t('saved', { name: '人事同步' }) })
        .waitFor();
      const list = await stack.call('GET', '/webhooks', otherToken);
      expect(list.body).toEqual([
        expect.objectContaining({ name: '人事同步', events: ['COURSE_ENROLLMENT'] }),
      ]);
      await browser.screenshot('14-zh-list', tab);
    } finally {
      await tab.close();
    }
  });

  it('asks about a link sign-in in Simplified Chinese too, and the header names the account', async () => {
    const zhAccount = randomInt(100_000, 1_000_000_000);
    const zhSubject = '王芳';
    const zhToken = stack.tokenFor(zhAccount, { sub: zhSubject });
    const tab = await browser.context.newPage();
    const zh = new WebhooksConsole(tab, zhCN);
    try {
      await tab.goto(`${stack.baseUrl}/console/`);
      // The language is the browser profile's choice (localStorage): whichever it is now, pick Chinese.
      await tab
        .getByLabel(en.language, { exact: true })
        .or(tab.getByLabel(zhCN.language, { exact: true }))
        .selectOption({ label: '简体中文' });
      await tab.goto(stack.consoleUrl(zhToken));
      const dialog = zh.linkSignInDialog();
      await dialog
        .getByText(zh.t('linkSignInQuestion', { account: zhAccount, subject: zhSubject }), { exact: true })
        .waitFor();
      await dialog.getByText(zh.t('linkSignInWarning', { account: zhAccount }), { exact: true }).waitFor();
      expect(await zh.storedTokens()).not.toContain(zhToken);
      await browser.screenshot('15-zh-link-sign-in', tab);
      await zh.continueLinkSignIn(zhAccount, zhSubject);
      await zh.expectWebhooksPage();
      await zh.signedInAs(zhAccount, zhSubject).waitFor();
      expect(await zh.storedTokens()).toEqual([zhToken]);
    } finally {
      await tab.close();
    }
  });

  it('passes axe-core with 0 violations on every page in English and Chinese, and the Chinese pages show no English', async () => {
    const owner = randomInt(100_000, 1_000_000_000);
    const ownerSubject = '李雷';
    const ownerToken = stack.tokenFor(owner, { sub: ownerSubject });
    const created = await stack.call('POST', '/webhooks', ownerToken, {
      name: '学习记录',
      targetUrl: listener.url,
      authentication: { type: 'SIGNATURE' },
      events: ['COURSE_ENROLLMENT', 'CI_STATS'],
      active: true,
    });
    expect(created.status).toBe(201);
    const hookId: string = created.body.id;
    await stack.produce(owner, [wireEvent(owner, 'COURSE_ENROLLMENT')]);
    const delivery = await waitFor(
      'the delivery to succeed',
      async () => {
        const log = await stack.call('GET', `/webhooks/${hookId}/deliveries`, ownerToken);
        return (log.body.items as { id: string; status: string }[]).find(
          (item) => item.status === 'SUCCEEDED',
        );
      },
      60_000,
    );

    const tab = await browser.context.newPage();
    try {
      await tab.goto(stack.consoleUrl(ownerToken));
      await new WebhooksConsole(tab).continueLinkSignIn(owner, ownerSubject).catch(async () => {
        // The profile may already speak Chinese (an earlier test chose it).
        await new WebhooksConsole(tab, zhCN).continueLinkSignIn(owner, ownerSubject);
      });
      const pages: { name: string; path: string; ready: (pageUi: WebhooksConsole) => Promise<void> }[] = [
        { name: 'list', path: '', ready: (pageUi) => pageUi.webhookRow('学习记录').waitFor() },
        { name: 'add', path: 'webhooks/new', ready: (pageUi) => pageUi.eventCheckbox('CI_STATS').waitFor() },
        {
          name: 'edit',
          path: `webhooks/${hookId}`,
          ready: async (pageUi) => {
            await pageUi.button('downloadSignature').waitFor();
          },
        },
        {
          name: 'delivery',
          path: `webhooks/${hookId}/deliveries/${delivery.id}`,
          ready: async (pageUi) => {
            await tab
              .getByRole('heading', { name: pageUi.t('deliveryHeading', { id: delivery.id }) })
              .waitFor();
            await pageUi.deliveryRows('SUCCEEDED').first().waitFor();
            await tab.getByRole('cell', { name: pageUi.t('auditCREATED'), exact: true }).waitFor();
          },
        },
        {
          name: 'not-found',
          path: 'nowhere',
          ready: (pageUi) => pageUi.heading('notFoundHeading').waitFor(),
        },
      ];
      for (const [label, messages] of [
        ['English', en],
        ['简体中文', zhCN],
      ] as const) {
        const pageUi = new WebhooksConsole(tab, messages);
        await tab
          .getByLabel(en.language, { exact: true })
          .or(tab.getByLabel(zhCN.language, { exact: true }))
          .selectOption({ label });
        for (const { name: pageName, path, ready } of pages) {
          await tab.goto(`${stack.baseUrl}/console/${path}`);
          await ready(pageUi);
          await tab.getByText(pageUi.t('loading'), { exact: true }).first().waitFor({ state: 'detached' });
          await browser.screenshot(`16-checked-${messages === zhCN ? 'zh' : 'en'}-${pageName}`, tab);
          expect([pageName, label, await axeViolations(tab)]).toEqual([pageName, label, []]);
          if (messages === zhCN) expect([pageName, await englishWordsOn(tab)]).toEqual([pageName, []]);
        }
      }
      // The check sees English when there is some: an untranslated sentence on the Chinese page is named.
      await tab.evaluate(
        `document.querySelector('main').append(Object.assign(document.createElement('p'), { textContent: '1 events for COURSE_ENROLLMENT' }))`,
      );
      expect(await englishWordsOn(tab)).toEqual(['events', 'for']);
    } finally {
      await tab.close();
    }
  });

  function page() {
    return browser.page;
  }

  /** A fresh load of the list's address, signed in from sessionStorage. */
  async function openList(): Promise<void> {
    await page().goto(`${stack.baseUrl}/console/`);
    await ui.expectWebhooksPage();
    await ui.webhookRow(name).waitFor();
  }

  async function openDeliveries(): Promise<void> {
    await openList();
    await ui.button('deliveries', ui.webhookRow(name)).click();
    await ui.heading('deliveriesHeading').waitFor();
  }

  /** Presses Refresh on the delivery log until `shown` holds (the log reads the database as it is). */
  async function refreshUntil(what: string, shown: () => Promise<boolean>): Promise<void> {
    await waitFor(
      what,
      async () => {
        if (await shown()) return true;
        await ui.button('refresh').click();
        return false;
      },
      30_000,
      500,
    );
  }
});

/** Whether the element has the keyboard focus (the page answers; the tests compile without DOM types). */
function hasFocus(locator: Locator): Promise<boolean> {
  return locator.evaluate(
    (element: { ownerDocument: { activeElement: unknown } }) =>
      element === element.ownerDocument.activeElement,
  );
}

function headersOf(request: ReceivedRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(request.headers))
    if (typeof value === 'string') headers[key] = value;
  return headers;
}
