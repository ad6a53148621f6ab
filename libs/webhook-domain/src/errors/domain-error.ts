/**
 * Every rule the domain enforces fails with one of these codes. Domain errors know nothing of HTTP:
 * the admin API's exception filter maps a code to a status, the workers log and count them.
 */
export enum DomainErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  WEBHOOK_NOT_FOUND = 'WEBHOOK_NOT_FOUND',
  WEBHOOK_NAME_TAKEN = 'WEBHOOK_NAME_TAKEN',
  WEBHOOK_LIMIT_REACHED = 'WEBHOOK_LIMIT_REACHED',
  TARGET_NOT_ALLOWED = 'TARGET_NOT_ALLOWED',
  UNKNOWN_EVENT_TYPE = 'UNKNOWN_EVENT_TYPE',
  NOT_A_SIGNATURE_WEBHOOK = 'NOT_A_SIGNATURE_WEBHOOK',
  DELIVERY_NOT_FOUND = 'DELIVERY_NOT_FOUND',
  DELIVERY_NOT_REDELIVERABLE = 'DELIVERY_NOT_REDELIVERABLE',
  EVENT_NOT_SUBSCRIBED = 'EVENT_NOT_SUBSCRIBED',
  REPLAY_RANGE_TOO_LARGE = 'REPLAY_RANGE_TOO_LARGE',
}

export interface DomainErrorDetail {
  field: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
