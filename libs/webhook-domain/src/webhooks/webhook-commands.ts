import { isEventName } from '@lms/payload-schemas';
import { DomainError } from '../errors/domain-error';
import { normalizeWebhookName } from './webhook-name';

/** How a webhook authenticates to its listener, as an admin asks for it. */
export type WebhookAuthenticationInput =
  { type: 'NONE' } | { type: 'BASIC'; username: string; password?: string } | { type: 'SIGNATURE' };

/** Who acts, for which account: always from the verified token, never from the request body. */
export interface AdminActor {
  accountId: number;
  /** JWT `sub`, recorded in the audit log. */
  sub: string;
}

export const MAX_RATE_LIMIT_PER_SECOND = 10_000;

/** How many requests of one lane may be outstanding; above 1 they overlap and order is not kept. */
export const MAX_IN_FLIGHT = { min: 1, max: 50, default: 1 } as const;
/** How many events one real-time request may carry. */
export const MAX_EVENTS_PER_REQUEST = { min: 1, max: 1000, default: 100 } as const;

type Fields<T> = { -readonly [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: T[K] };

/**
 * A webhook as the admin asks for it. `create` checks every rule that needs no I/O (the target's DNS
 * is checked by the use case) and normalises the name, so a command that exists is valid, whoever
 * built it: a controller, a script, a test.
 */
export class CreateWebhookCommand {
  readonly actor: AdminActor;
  readonly name: string;
  readonly description?: string | null;
  readonly targetUrl: string;
  readonly authentication: WebhookAuthenticationInput;
  readonly events: string[];
  readonly active?: boolean;
  readonly rateLimitPerSecond?: number | null;
  readonly maxInFlight?: number;
  readonly maxEventsPerRequest?: number;
  /** Default true: requests carry the trace context headers of their attempt. */
  readonly traceContextHeaders?: boolean;

  private constructor(fields: Fields<CreateWebhookCommand>) {
    Object.assign(this, fields);
  }

  static create(fields: Fields<CreateWebhookCommand>): CreateWebhookCommand {
    assertActor(fields.actor);
    const name = normalizeWebhookName(fields.name);
    assertKnownEvents(fields.events);
    requireBasicPassword(fields.authentication, 'is required for BASIC authentication');
    assertRateLimit(fields.rateLimitPerSecond);
    assertLaneLimits(fields);
    return new CreateWebhookCommand({ ...fields, name });
  }
}

/** Any subset of the create fields (at least one); undefined leaves a field as it is. */
export class UpdateWebhookCommand {
  readonly actor: AdminActor;
  readonly webhookId: string;
  readonly name?: string;
  readonly description?: string | null;
  readonly targetUrl?: string;
  readonly authentication?: WebhookAuthenticationInput;
  readonly events?: string[];
  readonly active?: boolean;
  readonly rateLimitPerSecond?: number | null;
  readonly maxInFlight?: number;
  readonly maxEventsPerRequest?: number;
  readonly traceContextHeaders?: boolean;

  private constructor(fields: Fields<UpdateWebhookCommand>) {
    Object.assign(this, fields);
  }

  static create(fields: Fields<UpdateWebhookCommand>): UpdateWebhookCommand {
    const { actor, webhookId: _webhookId, ...changes } = fields;
    assertActor(actor);
    if (Object.values(changes).every((value) => value === undefined)) {
      throw DomainError.invalidField('(body)', 'must contain at least one field to change', {
        code: 'EMPTY_OBJECT',
      });
    }
    const name = fields.name === undefined ? undefined : normalizeWebhookName(fields.name);
    if (fields.events !== undefined) assertKnownEvents(fields.events);
    assertRateLimit(fields.rateLimitPerSecond);
    assertLaneLimits(fields);
    return new UpdateWebhookCommand({ ...fields, name });
  }
}

/** An action on one saved webhook of the actor's account (delete, rotate its signing secret). */
abstract class WebhookActionCommand {
  readonly actor: AdminActor;
  readonly webhookId: string;

  protected constructor(fields: { actor: AdminActor; webhookId: string }) {
    assertActor(fields.actor);
    assertId('webhookId', fields.webhookId);
    this.actor = fields.actor;
    this.webhookId = fields.webhookId;
  }
}

/** Soft-deletes a webhook: nothing more is sent, its history stays for retention. */
export class DeleteWebhookCommand extends WebhookActionCommand {
  static create(fields: Fields<DeleteWebhookCommand>): DeleteWebhookCommand {
    return new DeleteWebhookCommand(fields);
  }
}

/** A new signing secret for a SIGNATURE webhook; the current one keeps signing for the overlap. */
export class RotateSigningSecretCommand extends WebhookActionCommand {
  static create(fields: Fields<RotateSigningSecretCommand>): RotateSigningSecretCommand {
    return new RotateSigningSecretCommand(fields);
  }
}

/** Test-send to a saved webhook: which event's example (default: the first it subscribes to). */
export class TestSavedWebhookCommand extends WebhookActionCommand {
  readonly eventName?: string;

  private constructor(fields: Fields<TestSavedWebhookCommand>) {
    super(fields);
    this.eventName = fields.eventName;
  }

  static create(fields: Fields<TestSavedWebhookCommand>): TestSavedWebhookCommand {
    return new TestSavedWebhookCommand(fields);
  }
}

/**
 * Test-send to an unsaved webhook as on the Add page: only what sending needs. The events and the
 * BASIC password are checked here; the target (DNS) by the use case.
 */
export class TestUnsavedWebhookCommand {
  readonly actor: AdminActor;
  readonly targetUrl: string;
  readonly authentication: WebhookAuthenticationInput;
  readonly events: string[];
  readonly eventName?: string;

  private constructor(fields: Fields<TestUnsavedWebhookCommand>) {
    Object.assign(this, fields);
  }

  static create(fields: Fields<TestUnsavedWebhookCommand>): TestUnsavedWebhookCommand {
    assertActor(fields.actor);
    assertKnownEvents(fields.events);
    requireBasicPassword(fields.authentication, 'is required for BASIC authentication');
    return new TestUnsavedWebhookCommand(fields);
  }
}

export function assertKnownEvents(events: readonly string[]): void {
  if (events.length === 0)
    throw DomainError.invalidField('events', 'should not be empty', { code: 'ARRAY_EMPTY' });
  const unknown = events
    .map((name, index) => ({ name, field: `events[${index}]` }))
    .filter(({ name }) => !isEventName(name));
  if (unknown.length > 0) throw DomainError.unknownEventTypes(unknown);
}

/**
 * BASIC authentication sends a password, so one must be given wherever none is stored yet: on
 * create, on a test of an unsaved webhook, and when switching a saved webhook to BASIC.
 */
export function requireBasicPassword(authentication: WebhookAuthenticationInput, message: string): void {
  if (authentication.type === 'BASIC' && authentication.password === undefined) {
    throw DomainError.invalidField('authentication.password', message, {
      code: 'PASSWORD_REQUIRED_FOR_BASIC',
    });
  }
}

/**
 * A stored BASIC password belongs to the origin (scheme, host and port) it was given for. Moving the
 * target to another origin without giving it again would send it to a host its owner never chose (an
 * admin who can edit the URL cannot read the password, but could make the platform deliver it). So
 * the move needs the password in the same request; within one origin (a new path) it is kept.
 */
export function requirePasswordForNewOrigin(
  previousTargetUrl: string,
  nextTargetUrl: string,
  authentication: WebhookAuthenticationInput | undefined,
): void {
  if (new URL(previousTargetUrl).origin === new URL(nextTargetUrl).origin) return;
  if (authentication?.type === 'BASIC' && authentication.password !== undefined) return;
  throw DomainError.invalidField(
    'authentication.password',
    `is required when targetUrl moves to another origin (${new URL(nextTargetUrl).origin}): the stored password is only sent to ${new URL(previousTargetUrl).origin}`,
    {
      code: 'PASSWORD_REQUIRED_FOR_NEW_ORIGIN',
      params: { origin: new URL(nextTargetUrl).origin, previousOrigin: new URL(previousTargetUrl).origin },
    },
  );
}

/** Exported for the other commands of the domain (deliveries), so every command checks its actor alike. */
export function assertActor(actor: AdminActor): void {
  if (!Number.isSafeInteger(actor.accountId) || actor.accountId <= 0 || actor.sub === '') {
    throw new Error('A command needs the verified actor (accountId and sub from the token)');
  }
}

/** An id a command names (a route parameter already checked its shape): never empty. */
export function assertId(field: string, id: string): void {
  if (typeof id !== 'string' || id === '')
    throw DomainError.invalidField(field, 'is required', { code: 'FIELD_REQUIRED' });
}

function assertRateLimit(limit: number | null | undefined): void {
  if (limit === undefined || limit === null) return;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RATE_LIMIT_PER_SECOND) {
    throw DomainError.invalidField(
      'rateLimitPerSecond',
      `must be an integer from 1 to ${MAX_RATE_LIMIT_PER_SECOND}`,
      { code: 'INTEGER_OUT_OF_RANGE', params: { min: 1, max: MAX_RATE_LIMIT_PER_SECOND } },
    );
  }
}

/** undefined keeps the default (create) or the stored value (update); null is not a value here. */
function assertLaneLimits(fields: { maxInFlight?: number; maxEventsPerRequest?: number }): void {
  assertIntegerIn('maxInFlight', fields.maxInFlight, MAX_IN_FLIGHT);
  assertIntegerIn('maxEventsPerRequest', fields.maxEventsPerRequest, MAX_EVENTS_PER_REQUEST);
}

function assertIntegerIn(
  field: string,
  value: number | undefined,
  range: { readonly min: number; readonly max: number },
): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw DomainError.invalidField(field, `must be an integer from ${range.min} to ${range.max}`, {
      code: 'INTEGER_OUT_OF_RANGE',
      params: { min: range.min, max: range.max },
    });
  }
}
