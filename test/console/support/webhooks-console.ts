import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { waitFor } from '@lms/testing';
import {
  en,
  format,
  zhCN,
  type MessageKey,
  type Messages,
} from '../../../apps/admin-console/src/i18n/catalogue';

export interface WebhookForm {
  name: string;
  description?: string;
  targetUrl: string;
  authentication?: 'NONE' | 'BASIC' | 'SIGNATURE';
  events: string[];
}

/** The part of a DOM element fieldDescription reads (the tests compile without the DOM library). */
interface DescribedField {
  getAttribute(name: string): string | null;
  ownerDocument: { getElementById(id: string): { textContent: string | null } | null };
}

/**
 * What an Integration Admin does on the console, found only by role and accessible name, never by
 * CSS: a control whose visible label is not its accessible name fails here. The words come from the
 * console's own catalogue of the language under test (en.ts or zh-CN.ts), never retyped.
 */
export class WebhooksConsole {
  constructor(
    readonly page: Page,
    readonly messages: Messages = en,
  ) {}

  t(key: MessageKey, values?: Record<string, string | number>): string {
    return format(this.messages[key], values, this.messages === zhCN ? 'zh-CN' : 'en');
  }

  button(key: MessageKey, within: Page | Locator = this.page): Locator {
    return within.getByRole('button', { name: this.t(key), exact: true });
  }

  heading(key: MessageKey): Locator {
    return this.page.getByRole('heading', { name: this.t(key), exact: true });
  }

  field(key: MessageKey): Locator {
    return this.page.getByLabel(this.t(key), { exact: true });
  }

  /** The list row that shows this webhook (its name is the row header). */
  webhookRow(name: string): Locator {
    return this.page
      .getByRole('row')
      .filter({ has: this.page.getByRole('rowheader', { name, exact: true }) });
  }

  /** Delivery log rows in this state (SUCCEEDED, DEAD …), by the word the console shows for it. */
  deliveryRows(status: 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'DEAD' | 'CANCELLED'): Locator {
    return this.page.getByRole('row').filter({ hasText: this.t(`delivery${status}`) });
  }

  /** The dialog a console URL's token opens: it names the account and subject before anything is used. */
  linkSignInDialog(): Locator {
    return this.page.getByRole('dialog', { name: this.t('linkSignInHeading'), exact: true });
  }

  /** Whose account the header says the tab is signed in to. */
  signedInAs(accountId: number, subject: string): Locator {
    return this.page
      .getByRole('banner')
      .getByText(this.t('signedInAs', { account: accountId, subject }), { exact: true });
  }

  /** Waits for the link's dialog to ask about this account and subject, then presses Continue. */
  async continueLinkSignIn(accountId: number, subject: string): Promise<void> {
    const dialog = this.linkSignInDialog();
    await dialog
      .getByText(this.t('linkSignInQuestion', { account: accountId, subject }), { exact: true })
      .waitFor();
    await this.button('continue', dialog).click();
    await dialog.waitFor({ state: 'hidden' });
  }

  /** The tokens the tab keeps (sessionStorage); the page runs the expression, the tests have no DOM types. */
  storedTokens(): Promise<string[]> {
    return this.page.evaluate<string[]>('Object.values(sessionStorage)');
  }

  eventCheckbox(eventName: string): Locator {
    return this.page.getByRole('checkbox', { name: new RegExp(`^${eventName}\\b`) });
  }

  async expectWebhooksPage(): Promise<void> {
    await this.heading('webhooks').waitFor();
  }

  async openAddForm(): Promise<void> {
    await this.button('addWebhook').click();
    await this.field('name').waitFor();
  }

  async fillForm(form: WebhookForm): Promise<void> {
    await this.field('name').fill(form.name);
    if (form.description !== undefined) await this.field('description').fill(form.description);
    await this.field('targetUrl').fill(form.targetUrl);
    if (form.authentication) await this.chooseAuthentication(form.authentication);
    for (const event of form.events) await this.eventCheckbox(event).check();
  }

  /** Authentication is a radio group or a select; either way its options carry their visible names. */
  async chooseAuthentication(type: 'NONE' | 'BASIC' | 'SIGNATURE'): Promise<void> {
    const option = this.t(`auth${type}`);
    const select = this.page.getByRole('combobox', { name: this.t('authentication') });
    if ((await select.count()) > 0) await select.selectOption({ label: option });
    else await this.page.getByRole('radio', { name: option, exact: true }).check();
  }

  async save(): Promise<void> {
    await this.button('save').click();
  }

  /** Clicks Download Signature and returns the downloaded JSON file. */
  async downloadSignature(): Promise<{ fileName: string; json: { secret: string; webhookId: string } }> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.button('downloadSignature').click(),
    ]);
    return {
      fileName: download.suggestedFilename(),
      json: JSON.parse(await readFile(await download.path(), 'utf8')) as {
        secret: string;
        webhookId: string;
      },
    };
  }

  /** The text a field announces besides its label (aria-describedby): where its error belongs. */
  async fieldDescription(key: MessageKey): Promise<string> {
    return this.field(key).evaluate((field: DescribedField) => {
      const ids = (field.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
      return ids.map((id) => field.ownerDocument.getElementById(id)?.textContent ?? '').join(' ');
    });
  }

  activationSwitch(name: string): Locator {
    return this.page.getByRole('switch', { name: this.t('activationFor', { name }), exact: true });
  }

  /** Flips the list's switch and waits until it shows the new state (it follows the API's answer). */
  async setActive(name: string, active: boolean): Promise<void> {
    const toggle = this.activationSwitch(name);
    if ((await toggle.isChecked()) !== active) await toggle.click();
    await waitFor(`${name} to show active=${active}`, async () => (await toggle.isChecked()) === active);
  }
}
