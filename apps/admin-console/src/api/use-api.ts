import { useCallback, useEffect, useState } from 'react';
import { useI18n } from '../i18n/i18n-context';
import { describeApiError } from './describe-api-error';

export type ApiRead<T> =
  | { state: 'loading'; data: undefined; error: undefined }
  | { state: 'done'; data: T; error: undefined }
  | { state: 'failed'; data: undefined; error: string };

export interface ApiReadResult<T> {
  read: ApiRead<T>;
  /** Reads again (after a change); the answer replaces the shown data when it arrives. */
  reload: () => void;
}

/**
 * Every read of a page: `load` runs when its inputs change (it is memoised by the caller with
 * useCallback) and on reload(). Each run gets an AbortSignal, and a newer run aborts the older one,
 * so an older answer can never overwrite a newer one (a filter changed while a page was loading).
 * The data stays shown while a reload runs; a failure is mapped to the admin's language here, once.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>): ApiReadResult<T> {
  const { t } = useI18n();
  const [read, setRead] = useState<{ for: unknown; value: ApiRead<T> }>({ for: undefined, value: LOADING });
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted)
          setRead({ for: load, value: { state: 'done', data, error: undefined } });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setRead({
          for: load,
          value: { state: 'failed', data: undefined, error: describeApiError(error, t) },
        });
      },
    );
    return () => controller.abort();
  }, [load, generation, t]);

  const reload = useCallback(() => setGeneration((current) => current + 1), []);
  // New inputs show "loading" at once instead of the previous inputs' answer.
  return { read: read.for === load ? read.value : LOADING, reload };
}

const LOADING = { state: 'loading', data: undefined, error: undefined } as const;
