/**
 * Every environment variable a config loader reads, found by handing it an environment that records
 * each look-up. Bad or missing values do not matter: a loader reads every variable before it reports
 * what is wrong. `nodeEnv` is the one value given (production reads what development defaults).
 */
export function variablesReadBy(
  load: (env: Record<string, string | undefined>) => unknown,
  nodeEnv: 'production' | 'development' = 'production',
): Set<string> {
  const read = new Set<string>();
  const recording = new Proxy<Record<string, string | undefined>>(
    { NODE_ENV: nodeEnv },
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
