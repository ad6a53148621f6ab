import { LoggerService } from '@nestjs/common';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { DestinationStream, Logger } from 'pino';
import { chooseLogFormat, prettyDestination } from './log-format';

export interface LogContext {
  deliveryId?: string;
  webhookId?: string;
  accountId?: number;
  eventId?: string;
  [key: string]: unknown;
}

/**
 * Structured JSON logs (pino) for every app, and Nest's own logger routed through it. Anything that
 * looks like a credential is redacted by path, so a careless `log({ webhook })` cannot leak a secret.
 * At a terminal outside production (or with LOG_FORMAT=pretty, as `npm start` sets) the same records
 * are printed as coloured text instead; see chooseLogFormat. A line written while a span is active
 * (tracing on: a delivery attempt, say) carries its `traceId` and `spanId`, to be found in the traces.
 */
export class AppLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  static create(
    serviceName: string,
    level: string,
    destination: DestinationStream = defaultDestination(),
  ): AppLogger {
    return new AppLogger(
      pino(
        {
          level,
          base: { service: serviceName },
          timestamp: pino.stdTimeFunctions.isoTime,
          mixin: activeTraceFields,
          redact: {
            paths: [
              '*.password',
              '*.secret',
              '*.secrets',
              '*.basicPassword',
              '*.authorization',
              'headers.authorization',
              '*.headers.authorization',
              '*.headers["webhook-signature"]',
            ],
            censor: '[redacted]',
          },
        },
        destination,
      ),
    );
  }

  /** A logger whose every line carries these ids (delivery, webhook, account, event). */
  child(context: LogContext): Logger {
    return this.pino.child(context);
  }

  log(message: unknown, ...optional: unknown[]): void {
    this.pino.info(...this.args(message, optional));
  }

  error(message: unknown, ...optional: unknown[]): void {
    this.pino.error(...this.args(message, optional));
  }

  warn(message: unknown, ...optional: unknown[]): void {
    this.pino.warn(...this.args(message, optional));
  }

  debug(message: unknown, ...optional: unknown[]): void {
    this.pino.debug(...this.args(message, optional));
  }

  verbose(message: unknown, ...optional: unknown[]): void {
    this.pino.trace(...this.args(message, optional));
  }

  fatal(message: unknown, ...optional: unknown[]): void {
    this.pino.fatal(...this.args(message, optional));
  }

  /** Nest calls (message, ...params, context): the last string param is the context (class name). */
  private args(message: unknown, optional: unknown[]): [Record<string, unknown>, string] {
    const params = [...optional];
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    const stack = params.find(
      (param): param is string => typeof param === 'string' && param.includes('\n    at '),
    );
    if (stack) fields.stack = stack;
    if (message instanceof Error) return [{ ...fields, err: message }, message.message];
    if (typeof message === 'object' && message !== null) {
      // `logger.warn({ msg: 'delivery is dead', deliveryId, webhookId })`: ids become fields, msg the text.
      const { msg, ...rest } = message as { msg?: unknown };
      return [{ ...fields, ...rest }, typeof msg === 'string' ? msg : ''];
    }
    return [fields, String(message)];
  }
}

/** The active span's ids (none when tracing is off: no context manager, no span). */
function activeTraceFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return isSpanContextValid(span.spanContext()) ? { traceId, spanId } : {};
}

function defaultDestination(): DestinationStream {
  return chooseLogFormat(process.env, process.stdout.isTTY === true) === 'pretty'
    ? prettyDestination()
    : pino.destination(1);
}
