/**
 * Every environment variable a config loader reads, found by handing it an environment that records
 * each look-up (as libs/config's documented-variables spec does). Bad or missing values do not matter:
 * a loader reads every variable before it reports what is wrong.
 */
export function variablesReadBy(load: (env: Record<string, string | undefined>) => unknown): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy<Record<string, string | undefined>>(
    { NODE_ENV: 'production' },
    {
      get(target, name) {
        if (typeof name === 'string') read.add(name);
        return target[name as string];
      },
    },
  );
  try {
    load(recording);
  } catch {
    // The reads are what count here, not whether the (empty) environment was acceptable.
  }
  return read;
}
