import { DeliveryFailureCode } from '@lms/http-delivery';

/**
 * Every rule the domain enforces fails with one of these codes. Domain errors know nothing of HTTP:
 * the admin API's exception filter maps a code to a status, the workers log and count them.
 */
export enum DomainErrorCode {
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  WEBHOOK_NOT_FOUND = 'WEBHOOK_NOT_FOUND',
  WEBHOOK_NAME_TAKEN = 'WEBHOOK_NAME_TAKEN',
  WEBHOOK_LIMIT_REACHED = 'WEBHOOK_LIMIT_REACHED',
  /** The one code for a refused target, whether the admin API or the sender refuses it. */
  TARGET_NOT_ALLOWED = DeliveryFailureCode.TARGET_NOT_ALLOWED,
  UNKNOWN_EVENT_TYPE = 'UNKNOWN_EVENT_TYPE',
  NOT_A_SIGNATURE_WEBHOOK = 'NOT_A_SIGNATURE_WEBHOOK',
  DELIVERY_NOT_FOUND = 'DELIVERY_NOT_FOUND',
  DELIVERY_NOT_REDELIVERABLE = 'DELIVERY_NOT_REDELIVERABLE',
  EVENT_NOT_SUBSCRIBED = 'EVENT_NOT_SUBSCRIBED',
  REPLAY_RANGE_TOO_LARGE = 'REPLAY_RANGE_TOO_LARGE',
  PENDING_EVENTS_LIMIT_REACHED = 'PENDING_EVENTS_LIMIT_REACHED',
  REPLAY_ALREADY_QUEUED = 'REPLAY_ALREADY_QUEUED',
}

/**
 * The stable code of a field detail raised by a rule the domain checks itself, so a client can say it
 * in its own language (the English `message` stays beside it). A code never changes meaning; a new
 * rule gets a new code. The admin API lists them in its OpenAPI enum of detail codes.
 */
export const DOMAIN_DETAIL_CODES = [
  /** The target URL policy refused the URL; `params.reason` (TargetUrlRefusal) says which rule. */
  'TARGET_URL_NOT_ALLOWED',
  /** A webhook name holds control or invisible formatting characters (Unicode Cc, Cf). */
  'NAME_INVISIBLE_CHARACTERS',
  /** BASIC authentication without a password where none is stored (create, test, switch to BASIC). */
  'PASSWORD_REQUIRED_FOR_BASIC',
  /** The target moves to another origin (`params.origin`) and the stored password is not given again. */
  'PASSWORD_REQUIRED_FOR_NEW_ORIGIN',
  /** A whole number outside `params.min`..`params.max`, or not whole. */
  'INTEGER_OUT_OF_RANGE',
  /** An id a command needs is empty. */
  'FIELD_REQUIRED',
] as const;

/**
 * Codes of the admin API's request validation that the domain raises too, for the same rule checked
 * again here (a name too long once NFC-normalised, a blank name): one rule, one code.
 */
export const SHARED_DETAIL_CODES = [
  'FIELD_BLANK',
  'FIELD_TOO_LONG',
  'CONTROL_CHARACTERS',
  'ARRAY_EMPTY',
  'EMPTY_OBJECT',
] as const;

export type DomainDetailCode = (typeof DOMAIN_DETAIL_CODES)[number] | (typeof SHARED_DETAIL_CODES)[number];

/** Why the target URL policy refused a URL: `params.reason` of TARGET_URL_NOT_ALLOWED. */
export const TARGET_URL_REFUSALS = [
  /** Not an absolute URL (an http URL without a host is not one either). */
  'NOT_AN_ABSOLUTE_URL',
  /** A scheme other than https or http. */
  'SCHEME_NOT_HTTP',
  /** http where this installation allows https only (ALLOW_HTTP_TARGETS off). */
  'HTTP_NOT_ALLOWED',
  /** A user name or password in the URL (Basic authentication has its own, encrypted, field). */
  'CREDENTIALS_IN_URL',
  /** Port 0. */
  'PORT_ZERO',
  /** Longer than `params.max` characters once serialised (the URL parser lengthens some URLs). */
  'TOO_LONG_ONCE_SERIALISED',
  /** The host (`params.host`) does not resolve. */
  'HOST_DOES_NOT_RESOLVE',
  /** The host (`params.host`) resolves to a private, loopback or otherwise non-public address. */
  'NON_PUBLIC_ADDRESS',
] as const;
export type TargetUrlRefusal = (typeof TARGET_URL_REFUSALS)[number];

/** A rule's parameters, named: `{max: 100}`, `{reason: 'SCHEME_NOT_HTTP'}`. */
export type DomainDetailParams = Record<string, number | string | string[]>;

/** Which rule a field broke, for details raised by invalidField. */
export interface DomainDetailRule {
  code: DomainDetailCode;
  params?: DomainDetailParams;
}

export interface DomainErrorDetail {
  field: string;
  message: string;
  /** The rule's stable code; absent on a detail that names no finer rule than its error's code. */
  code?: DomainDetailCode;
  params?: DomainDetailParams;
}

/** A broken rule, by code. Built through the named constructors so each code has one wording. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: DomainErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'DomainError';
  }

  /** One field is wrong: "`field` `message`", with the field (and the rule's code) named in details. */
  static invalidField(field: string, message: string, rule?: DomainDetailRule): DomainError {
    return new DomainError(DomainErrorCode.VALIDATION_FAILED, `${field} ${message}`, [
      { field, message, ...rule },
    ]);
  }

  /** The target URL policy's syntax refused the URL (a 400: the URL is malformed, not just refused). */
  static invalidTargetUrl(
    field: string,
    message: string,
    reason: TargetUrlRefusal,
    params: DomainDetailParams = {},
  ): DomainError {
    return DomainError.invalidField(field, message, {
      code: 'TARGET_URL_NOT_ALLOWED',
      params: { reason, ...params },
    });
  }

  /** A request that is wrong as a whole, or with its own wording. */
  static invalid(message: string, details: DomainErrorDetail[] = []): DomainError {
    return new DomainError(DomainErrorCode.VALIDATION_FAILED, message, details);
  }

  static webhookNotFound(webhookId: string): DomainError {
    return new DomainError(DomainErrorCode.WEBHOOK_NOT_FOUND, `Webhook ${webhookId} not found`);
  }

  static deliveryNotFound(deliveryId: string): DomainError {
    return new DomainError(DomainErrorCode.DELIVERY_NOT_FOUND, `Delivery ${deliveryId} not found`);
  }

  static webhookNameTaken(name: string): DomainError {
    return new DomainError(
      DomainErrorCode.WEBHOOK_NAME_TAKEN,
      `A webhook named "${name}" already exists in this account`,
      [{ field: 'name', message: 'is already used by another webhook of this account' }],
    );
  }

  static webhookLimitReached(max: number): DomainError {
    return new DomainError(
      DomainErrorCode.WEBHOOK_LIMIT_REACHED,
      `An account can have at most ${max} webhooks; delete one first`,
    );
  }

  static targetNotAllowed(
    field: string,
    message: string,
    reason: TargetUrlRefusal,
    params: DomainDetailParams = {},
  ): DomainError {
    return new DomainError(DomainErrorCode.TARGET_NOT_ALLOWED, `${field} is not allowed: ${message}`, [
      { field, message, code: 'TARGET_URL_NOT_ALLOWED', params: { reason, ...params } },
    ]);
  }

  /** `unknown`: each refused name with the field that holds it (`events[2]`, `eventName`). */
  static unknownEventTypes(unknown: ReadonlyArray<{ name: string; field: string }>): DomainError {
    const names = unknown.map(({ name }) => name).join(', ');
    return new DomainError(
      DomainErrorCode.UNKNOWN_EVENT_TYPE,
      `Unknown event type${unknown.length > 1 ? 's' : ''}: ${names} (see GET /api/v1/event-types)`,
      unknown.map(({ name, field }) => ({ field, message: `"${name}" is not an event type` })),
    );
  }

  static notASignatureWebhook(webhookId: string, authType: string): DomainError {
    return new DomainError(
      DomainErrorCode.NOT_A_SIGNATURE_WEBHOOK,
      `Webhook ${webhookId} uses ${authType} authentication; only SIGNATURE webhooks have a signing secret`,
    );
  }

  static notRedeliverable(message: string): DomainError {
    return new DomainError(DomainErrorCode.DELIVERY_NOT_REDELIVERABLE, message);
  }

  static eventNotSubscribed(eventName: string, subscribed: readonly string[]): DomainError {
    return new DomainError(
      DomainErrorCode.EVENT_NOT_SUBSCRIBED,
      `The webhook does not subscribe to ${eventName}`,
      [{ field: 'eventName', message: `must be one of the webhook's events: ${subscribed.join(', ')}` }],
    );
  }

  static replayRangeTooLarge(max: number): DomainError {
    return new DomainError(
      DomainErrorCode.REPLAY_RANGE_TOO_LARGE,
      `The range holds more than ${max} events; replay a shorter range`,
      [{ field: 'to', message: `the range holds more than ${max} events` }],
    );
  }

  /** Replay or redeliver would take a webhook's waiting events past the cap. */
  static pendingEventsLimitReached(limit: {
    webhookId: string;
    pending: number;
    requested: number;
    cap: number;
  }): DomainError {
    // The count stops just past the cap: a longer backlog is "more than the cap".
    const waiting = limit.pending > limit.cap ? `more than ${limit.cap}` : String(limit.pending);
    return new DomainError(
      DomainErrorCode.PENDING_EVENTS_LIMIT_REACHED,
      `Webhook ${limit.webhookId} has ${waiting} events waiting; ${limit.requested} more would pass the cap of ${limit.cap} (MAX_PENDING_EVENTS_PER_WEBHOOK): wait until its lanes drain`,
      [
        { field: 'pending', message: `${waiting} events are waiting in the webhook's lanes` },
        { field: 'requested', message: `${limit.requested} events would be added` },
        { field: 'cap', message: `at most ${limit.cap} events may wait per webhook` },
      ],
    );
  }

  /** The same replay (webhook and range) was made earlier and its events are still waiting. */
  static replayAlreadyQueued(earlier: {
    replayId: string;
    createdAt: Date;
    eventCount: number;
  }): DomainError {
    return new DomainError(
      DomainErrorCode.REPLAY_ALREADY_QUEUED,
      `The same replay (${earlier.replayId}, ${earlier.eventCount} events, made at ${earlier.createdAt.toISOString()}) is still waiting to be sent; nothing was added`,
      [{ field: 'replayId', message: earlier.replayId }],
    );
  }
}
