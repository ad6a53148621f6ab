import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { EVENT_DESCRIPTIONS } from '../../../apps/admin-console/src/i18n/event-descriptions';

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it is now. The engine is evaluated in the page by
 * Playwright (DevTools protocol), which the console's Content-Security-Policy does not block.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate<AxeViolation[]>(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
      .then((result) => result.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        targets: violation.nodes.map((node) => node.target.join(' ')),
      })))
  `);
}

/**
 * True names and identifiers that stay as they are on a Chinese page: event names, protocol and
 * format acronyms, the product term "Webhook" (the catalogue's own word), the language switch's
 * "English", and HTTP's "410 Gone". Everything else in Latin letters is an untranslated string.
 */
const ALLOWED_WORDS = new Set([
  ...Object.keys(EVENT_DESCRIPTIONS.en),
  'API',
  'URL',
  'ID',
  'JSON',
  'LMS',
  'HTTP',
  'POST',
  'Webhook',
  'English',
  'Gone',
]);

/**
 * The English words a page shows: every visible text node and accessible label (aria-label, title,
 * placeholder), outside elements marked translate="no" (user data and identifiers: names, URLs, ids,
 * JSON, receivers' answers). URLs, UUIDs and numbers are left out before the words are read.
 */
export async function englishWordsOn(page: Page): Promise<string[]> {
  const texts = await page.evaluate<string[]>(`(() => {
    const out = [];
    const skipped = (element) => !element || element.closest('[translate="no"], script, style, noscript, [hidden]');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!skipped(node.parentElement) && node.textContent.trim()) out.push(node.textContent);
    }
    for (const element of document.body.querySelectorAll('[aria-label], [title], [placeholder]')) {
      if (skipped(element)) continue;
      for (const name of ['aria-label', 'title', 'placeholder']) {
        const value = element.getAttribute(name);
        if (value) out.push(value);
      }
    }
    out.push(document.title);
    return out;
  })()`);
  const words = texts.flatMap(
    (text) =>
      text
        .replace(/\bhttps?:\/\/\S+/g, ' ')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ' ')
        .match(/[A-Za-z][A-Za-z_]+/g) ?? [],
  );
  return [...new Set(words.filter((word) => !ALLOWED_WORDS.has(word)))];
}
