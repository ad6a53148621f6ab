import { en, type MessageKey, type Messages, type PluralMessage } from './en';
import { zhCN } from './zh-CN';

export type { MessageKey, Messages, PluralMessage };
export type Message = string | PluralMessage;
export { en, zhCN };

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];

export const CATALOGUES: Record<Language, Messages> = { en, 'zh-CN': zhCN };

/** Each language's name in itself, as the Language switch shows it. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', 'zh-CN': '简体中文' };

/** The first of the browser's languages the console speaks (any zh-* is Simplified Chinese), else English. */
export function pickLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
  }
  return 'en';
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

/**
 * Fills `{name}` placeholders; an unknown placeholder stays as written so a gap is visible. A plural
 * message picks its form for `{count}` by the language's plural rules ("1 event", "2 events", "2 个事件").
 */
export function format(
  message: Message,
  values: Record<string, string | number> = {},
  language: Language = 'en',
): string {
  const template = typeof message === 'string' ? message : pluralForm(message, values.count, language);
  return template.replace(/\{(\w+)\}/g, (whole, key: string) =>
    key in values ? String(values[key]) : whole,
  );
}

function pluralForm(message: PluralMessage, count: string | number | undefined, language: Language): string {
  const category = new Intl.PluralRules(language).select(Number(count));
  return message[category] ?? message.other;
}

const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'] as const;

/** The forms of a message: one string, or each plural form. */
export function forms(message: Message): string[] {
  return typeof message === 'string'
    ? [message]
    : PLURAL_CATEGORIES.map((category) => message[category]).filter((form) => form !== undefined);
}

/** The placeholders a message uses, sorted: both catalogues must use the same ones per key. */
export function placeholders(message: Message): string[] {
  const found = new Set(
    forms(message).flatMap((form) => [...form.matchAll(/\{(\w+)\}/g)].map((match) => match[1])),
  );
  return [...found].sort();
}
