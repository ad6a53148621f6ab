import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { CATALOGUES, format, isLanguage, pickLanguage, type Language, type MessageKey } from './catalogue';

const STORAGE_KEY = 'lms-webhooks.console.language';

export interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: (key: MessageKey, values?: Record<string, string | number>) => string;
  formatTime: (value: string | number | null | undefined) => string;
}

const I18nContext = createContext<I18n | undefined>(undefined);

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  return isLanguage(stored) ? stored : pickLanguage(navigator.languages ?? [navigator.language]);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);

  useEffect(() => {
    document.documentElement.lang = language;
    document.title = CATALOGUES[language].appTitle;
  }, [language]);

  const value = useMemo<I18n>(() => {
    const catalogue = CATALOGUES[language];
    const timeFormat = new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'medium' });
    return {
      language,
      setLanguage: (next) => {
        localStorage.setItem(STORAGE_KEY, next);
        setLanguageState(next);
      },
      t: (key, values) => format(catalogue[key], values, language),
      formatTime: (time) => {
        if (time === null || time === undefined) return catalogue.none;
        const date = new Date(time);
        return Number.isNaN(date.getTime()) ? String(time) : timeFormat.format(date);
      },
    };
  }, [language]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
