import { storableText } from './response-snippet';

/**
 * Why a request to a receiver failed, as a code. The code is what code branches on (metrics, logs,
 * the target policy's single TARGET_NOT_ALLOWED); `text` is what the delivery log records and the
 * admin API returns as `error`/`lastError`, in the same wording as before codes existed.
 */
export enum DeliveryFailureCode {
  /** The target's scheme or an address it resolves to is not allowed now; nothing was sent. */
  TARGET_NOT_ALLOWED = 'TARGET_NOT_ALLOWED',
  /** A non-2xx, non-3xx answer. */
  HTTP_STATUS = 'HTTP_STATUS',
  /** A 3xx: redirects are never followed (a receiver could bounce us to an internal address). */
  REDIRECT_NOT_FOLLOWED = 'REDIRECT_NOT_FOLLOWED',
  /** 410 Gone: the receiver asked to stop; the webhook is disabled. */
  RECEIVER_GONE = 'RECEIVER_GONE',
  TIMEOUT = 'TIMEOUT',
  CONNECT_TIMEOUT = 'CONNECT_TIMEOUT',
  /** Refused, reset, unresolvable, TLS: no answer arrived. */
  CONNECTION_FAILED = 'CONNECTION_FAILED',
}

export class DeliveryFailure {
  /** What happened, without the code. */
  readonly message: string;
  /** As recorded and shown. */
  readonly text: string;

  private constructor(
    readonly code: DeliveryFailureCode,
    message: string,
    text: string,
  ) {
    // The text is stored and shown, and may quote what a listener sent (a header, a TLS certificate's
    // name): whatever that was, it must be text Postgres accepts, of bounded length.
    this.message = storableText(message);
    this.text = storableText(text);
  }

  static targetNotAllowed(reason: string): DeliveryFailure {
    return DeliveryFailure.prefixed(DeliveryFailureCode.TARGET_NOT_ALLOWED, reason);
  }

  static httpStatus(statusCode: number): DeliveryFailure {
    if (statusCode >= 300 && statusCode < 400) {
      return new DeliveryFailure(
        DeliveryFailureCode.REDIRECT_NOT_FOLLOWED,
        'redirect not followed',
        `HTTP ${statusCode}: redirect not followed`,
      );
    }
    return new DeliveryFailure(DeliveryFailureCode.HTTP_STATUS, `HTTP ${statusCode}`, `HTTP ${statusCode}`);
  }

  static receiverGone(): DeliveryFailure {
    const message = 'the receiver is gone; webhook disabled';
    return new DeliveryFailure(DeliveryFailureCode.RECEIVER_GONE, message, `HTTP 410: ${message}`);
  }

  static timeout(detail: string): DeliveryFailure {
    return DeliveryFailure.prefixed(DeliveryFailureCode.TIMEOUT, detail);
  }

  static connectTimeout(detail: string): DeliveryFailure {
    return DeliveryFailure.prefixed(DeliveryFailureCode.CONNECT_TIMEOUT, detail);
  }

  /** `systemCode`: the socket error's code (ECONNREFUSED…), kept in the text as receivers' admins know it. */
  static connectionFailed(message: string, systemCode?: string): DeliveryFailure {
    return new DeliveryFailure(
      DeliveryFailureCode.CONNECTION_FAILED,
      message,
      systemCode === undefined ? message : `${systemCode}: ${message}`,
    );
  }

  /** The codes whose text always was `CODE: message`. */
  private static prefixed(code: DeliveryFailureCode, message: string): DeliveryFailure {
    return new DeliveryFailure(code, message, `${code}: ${message}`);
  }
}
