import type { DestinationStream } from 'pino';

/** `json`: one JSON object per line (what log shippers read). `pretty`: coloured text for a person. */
export type LogFormat = 'json' | 'pretty';

const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/**
 * LOG_FORMAT when set; otherwise pretty only for a person at a terminal outside production, so a
 * pipe, a container log or a production host always gets JSON lines. An unknown value fails the boot.
 */
export function chooseLogFormat(env: NodeJS.ProcessEnv, stdoutIsTerminal: boolean): LogFormat {
  const chosen = env.LOG_FORMAT?.trim();
  if (chosen) {
    if ((LOG_FORMATS as readonly string[]).includes(chosen)) return chosen as LogFormat;
    throw new Error(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')}; got "${chosen}"`);
  }
  return stdoutIsTerminal && (env.NODE_ENV ?? 'production') !== 'production' ? 'pretty' : 'json';
}

/**
 * A pino destination that writes readable lines to stdout: time, level, the Nest context and the
 * message, then the ids as fields. pino-pretty is a development dependency, loaded only when asked
 * for, so a production image (npm prune --omit=dev) never needs it.
 */
export function prettyDestination(): DestinationStream {
  let pinoPretty: typeof import('pino-pretty');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for (see above)
    pinoPretty = require('pino-pretty') as typeof import('pino-pretty');
  } catch {
    throw new Error('LOG_FORMAT=pretty needs the pino-pretty package (a devDependency); use LOG_FORMAT=json');
  }
  return pinoPretty({
    destination: 1,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context',
    messageFormat: '{if context}{context}: {end}{msg}',
    singleLine: true,
  });
}
