// GENERATED from the admin API's OpenAPI document (/docs-json) by
// test/console/support/openapi-to-typescript.ts. Do not edit: test/console/api-types.e2e-spec.ts
// fails on any difference, and `UPDATE_API_TYPES=1` on that test rewrites this file.

export type ApiErrorBody = {
  statusCode: number;
  /** Stable, machine-readable error code */
  code: string;
  message: string;
  details?: ApiErrorDetail[];
  /** For 500 only: quote it to the operators, it is in their logs */
  errorId?: string;
};

export type ApiErrorDetail = {
  field: string;
  /** Stable, machine-readable: which rule the field broke (VALIDATION_FAILED), to be said in the client's language with `params`. TARGET_URL_NOT_ALLOWED (on VALIDATION_FAILED or TARGET_NOT_ALLOWED) names its rule in `params.reason`: NOT_AN_ABSOLUTE_URL, SCHEME_NOT_HTTP, HTTP_NOT_ALLOWED, CREDENTIALS_IN_URL, PORT_ZERO, TOO_LONG_ONCE_SERIALISED, HOST_DOES_NOT_RESOLVE, NON_PUBLIC_ADDRESS. INVALID_VALUE: a rule without a finer code, `message` is the only text. On other errors, the error's own code (WEBHOOK_NAME_TAKEN on `name`). */
  code: ApiErrorDetailCode;
  /** In English */
  message: string;
  /** The rule's parameters, named (max, min, values, reason, host, origin) */
  params?: {
    [key: string]: number | string | string[];
  };
};

/** Stable, machine-readable: which rule the field broke (VALIDATION_FAILED), to be said in the client's language with `params`. TARGET_URL_NOT_ALLOWED (on VALIDATION_FAILED or TARGET_NOT_ALLOWED) names its rule in `params.reason`: NOT_AN_ABSOLUTE_URL, SCHEME_NOT_HTTP, HTTP_NOT_ALLOWED, CREDENTIALS_IN_URL, PORT_ZERO, TOO_LONG_ONCE_SERIALISED, HOST_DOES_NOT_RESOLVE, NON_PUBLIC_ADDRESS. INVALID_VALUE: a rule without a finer code, `message` is the only text. On other errors, the error's own code (WEBHOOK_NAME_TAKEN on `name`). */
export type ApiErrorDetailCode =
  | 'NOT_A_STRING'
  | 'NOT_AN_INTEGER'
  | 'NOT_A_BOOLEAN'
  | 'NOT_AN_ARRAY'
  | 'NOT_AN_OBJECT'
  | 'NOT_A_UUID'
  | 'NOT_AN_INSTANT'
  | 'FIELD_TOO_SHORT'
  | 'FIELD_TOO_LONG'
  | 'LENGTH_OUT_OF_RANGE'
  | 'FIELD_BLANK'
  | 'CONTROL_CHARACTERS'
  | 'CONTROL_CHARACTERS_EXCEPT_WHITESPACE'
  | 'USERNAME_CHARACTERS'
  | 'NOT_ONE_OF'
  | 'TOO_SMALL'
  | 'TOO_LARGE'
  | 'ARRAY_EMPTY'
  | 'ARRAY_TOO_LONG'
  | 'ARRAY_NOT_UNIQUE'
  | 'ITEMS_NOT_STRINGS'
  | 'ITEM_TOO_LONG'
  | 'EMPTY_OBJECT'
  | 'ONLY_FOR_BASIC'
  | 'UNKNOWN_FIELD'
  | 'MALFORMED_UNICODE'
  | 'NESTED_TOO_DEEPLY'
  | 'FORBIDDEN_PROPERTY_NAME'
  | 'TARGET_URL_NOT_ALLOWED'
  | 'NAME_INVISIBLE_CHARACTERS'
  | 'PASSWORD_REQUIRED_FOR_BASIC'
  | 'PASSWORD_REQUIRED_FOR_NEW_ORIGIN'
  | 'INTEGER_OUT_OF_RANGE'
  | 'FIELD_REQUIRED'
  | 'INVALID_VALUE'
  | 'WEBHOOK_NOT_FOUND'
  | 'WEBHOOK_NAME_TAKEN'
  | 'WEBHOOK_LIMIT_REACHED'
  | 'TARGET_NOT_ALLOWED'
  | 'UNKNOWN_EVENT_TYPE'
  | 'NOT_A_SIGNATURE_WEBHOOK'
  | 'DELIVERY_NOT_FOUND'
  | 'DELIVERY_NOT_REDELIVERABLE'
  | 'EVENT_NOT_SUBSCRIBED'
  | 'REPLAY_RANGE_TOO_LARGE'
  | 'PENDING_EVENTS_LIMIT_REACHED'
  | 'REPLAY_ALREADY_QUEUED';

export type AuditEntryResponse = {
  action:
    | 'CREATED'
    | 'UPDATED'
    | 'ACTIVATED'
    | 'RETIRED'
    | 'DELETED'
    | 'SECRET_ROTATED'
    | 'SECRET_DOWNLOADED'
    | 'AUTO_DISABLED'
    | 'DISABLED_BY_RECEIVER';
  /** JWT sub of the admin, or "system" */
  actor: string;
  at: string;
  details: {
    [key: string]: unknown;
  };
};

export type CreateWebhookDto = {
  /** Unique within the account */
  name: string;
  description?: string | null;
  /** Absolute https URL (http only where allowed), no credentials */
  targetUrl: string;
  authentication: WebhookAuthenticationDto;
  /** Event names from GET /event-types */
  events: string[];
  /** A webhook delivers nothing until activated */
  active?: boolean;
  /** Requests per second to this target, across all dispatchers */
  rateLimitPerSecond?: number | null;
  /** Requests of one lane outstanding at once. With 1 (the default) events arrive in order: a request is sent only after the previous one was acknowledged (2xx) or gave up, and a failing request blocks the lane while it is retried. With more than 1, requests overlap and order is NOT guaranteed. */
  maxInFlight?: number;
  /** The most real-time events one request carries (non-real-time requests carry up to BATCH_MAX_EVENTS). A request leaves at once with what is waiting: one event at low load, more under a backlog. */
  maxEventsPerRequest?: number;
  /** Requests carry the W3C traceparent/tracestate headers of their attempt when tracing is on; false leaves them out */
  traceContextHeaders?: boolean;
};

export type DeliveryAttemptResponse = {
  attemptNumber: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** First KiB of the answer */
  responseSnippet: string | null;
  /** The trace id of the attempt's span (OpenTelemetry), null when the dispatcher did not trace it */
  traceId: string | null;
};

export type DeliveryDetailResponse = {
  /** Also the `webhook-id` header the receiver got */
  id: string;
  webhookId: string;
  kind: 'REALTIME' | 'BATCH';
  status: 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'DEAD' | 'CANCELLED';
  eventCount: number;
  eventNames: string[];
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  cancelledBy: string | null;
  redeliveryOf: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
  /** The request body as sent */
  payload: {
    [key: string]: unknown;
  };
  events: DeliveryEventResponse[];
  attempts: DeliveryAttemptResponse[];
};

export type DeliveryEventResponse = {
  eventId: string;
  eventName: string;
  /** Event time, epoch ms */
  timestamp: number;
};

export type DeliveryPageResponse = {
  items: DeliverySummaryResponse[];
  /** Pass as `cursor` for older ones */
  nextCursor: string | null;
};

export type DeliverySummaryResponse = {
  /** Also the `webhook-id` header the receiver got */
  id: string;
  webhookId: string;
  kind: 'REALTIME' | 'BATCH';
  status: 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'DEAD' | 'CANCELLED';
  eventCount: number;
  eventNames: string[];
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  cancelledBy: string | null;
  redeliveryOf: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
};

export type EventTypeResponse = {
  name: string;
  /** Real-time events are sent as they happen; the others in scheduled batches */
  realtime: boolean;
  description: string;
  /** JSON Schema of `data` */
  schema: {
    [key: string]: unknown;
  };
  /** An example `data` */
  example: {
    [key: string]: unknown;
  };
};

export type LaneRequestResponse = {
  /** GET /deliveries/{id} has its events and attempts */
  deliveryId: string;
  status: 'PENDING' | 'RETRYING';
  eventCount: number;
  attemptCount: number;
  /** When it is (re)sent */
  nextAttemptAt: string;
};

export type LaneResponse = {
  /** REALTIME: real-time events, sent at once. BATCH: the others, released by BATCH_CRON. */
  kind: 'REALTIME' | 'BATCH';
  /** Events in the lane waiting for a request (released, not yet sent) */
  pendingEvents: number;
  /** BATCH events waiting for the next release (BATCH_CRON); 0 on the REALTIME lane */
  heldEvents: number;
  /** How long the oldest pending event has been in the lane, in ms; null when none is pending */
  oldestPendingAgeMs: number | null;
  /** The lane's open requests, oldest first (at most maxInFlight; listed up to 50) */
  inFlight: LaneRequestResponse[];
  /** While the oldest open request that has failed is being retried: when it first failed. With maxInFlight 1 the lane sends nothing else until it succeeds, dies (RETRY_MAX_AGE) or is cancelled. */
  blockedSince: string | null;
};

export type RedeliveryResponse = {
  /** The delivery whose events were appended to its lane again */
  redeliveryOf: string;
  /** Appended to the end of the webhook's lane; the delivery carrying it (with this redeliveryOf) appears in the log when its turn comes */
  status: 'QUEUED';
  eventCount: number;
};

export type ReplayDto = {
  /** Event time, inclusive (ISO-8601 or epoch ms) */
  from: string | number;
  /** Event time, inclusive (ISO-8601 or epoch ms) */
  to: string | number;
};

export type ReplayResponse = {
  count: number;
  /** Real-time events appended to the webhook's lane, in event order */
  realtimeEvents: number;
  batchedEvents: number;
};

export type SigningSecretResponse = {
  webhookId: string;
  scheme: string;
  algorithm: string;
  secret: string;
  headers: string[];
  createdAt: string;
  /** After a rotation: until when the previous secret also signs */
  previousSecretExpiresAt: string | null;
};

export type TestEventChoiceDto = {
  /** Which catalogue example to send; default the first subscribed event */
  eventName?: string;
};

export type TestUnsavedWebhookDto = {
  /** Absolute https URL (http only where allowed), no credentials */
  targetUrl: string;
  authentication: WebhookAuthenticationDto;
  /** Event names from GET /event-types */
  events: string[];
  /** Unique within the account */
  name?: string;
  description?: string | null;
  /** A webhook delivers nothing until activated */
  active?: boolean;
  /** Requests per second to this target, across all dispatchers */
  rateLimitPerSecond?: number | null;
  /** Which catalogue example to send; default the first subscribed event */
  eventName?: string;
};

export type UpdateWebhookDto = {
  name?: string;
  /** null clears it */
  description?: string | null;
  targetUrl?: string;
  authentication?: WebhookAuthenticationDto;
  events?: string[];
  /** false retires the webhook and cancels its pending deliveries; true (re)activates it */
  active?: boolean;
  /** null removes the limit */
  rateLimitPerSecond?: number | null;
  /** Requests of one lane outstanding at once. With 1 (the default) events arrive in order: a request is sent only after the previous one was acknowledged (2xx) or gave up, and a failing request blocks the lane while it is retried. With more than 1, requests overlap and order is NOT guaranteed. */
  maxInFlight?: number;
  /** The most real-time events one request carries (non-real-time requests carry up to BATCH_MAX_EVENTS). A request leaves at once with what is waiting: one event at low load, more under a backlog. */
  maxEventsPerRequest?: number;
  /** false leaves the W3C traceparent/tracestate headers out of its requests; true sends them */
  traceContextHeaders?: boolean;
};

export type WebhookAuthenticationDto = {
  /** SIGNATURE: the system generates a signing secret (download it from GET /webhooks/{id}/signature) */
  type: 'NONE' | 'BASIC' | 'SIGNATURE';
  /** BASIC only */
  username?: string;
  /** BASIC only; required on create and when switching to BASIC, omit it to keep the stored one. Never returned. */
  password?: string;
};

export type WebhookAuthenticationResponse = {
  type: 'NONE' | 'BASIC' | 'SIGNATURE';
  /** BASIC only. The password is never returned. */
  username?: string;
};

export type WebhookDetailResponse = {
  id: string;
  name: string;
  description: string | null;
  targetUrl: string;
  authentication: WebhookAuthenticationResponse;
  events: string[];
  /** status === "ACTIVE" */
  active: boolean;
  status: 'ACTIVE' | 'INACTIVE' | 'DISABLED';
  /** Why the platform disabled it (DISABLED only) */
  disabledReason: string | null;
  rateLimitPerSecond: number | null;
  /** Requests of one lane outstanding at once. With 1 (the default) events arrive in order: a request is sent only after the previous one was acknowledged (2xx) or gave up, and a failing request blocks the lane while it is retried. With more than 1, requests overlap and order is NOT guaranteed. */
  maxInFlight: number;
  /** The most real-time events one request carries (non-real-time requests carry up to BATCH_MAX_EVENTS). A request leaves at once with what is waiting: one event at low load, more under a backlog. */
  maxEventsPerRequest: number;
  /** Requests carry the traceparent/tracestate headers of their attempt */
  traceContextHeaders: boolean;
  createdAt: string;
  updatedAt: string;
  /** Its REALTIME and BATCH lanes, in that order: what waits, what is on its way, what blocks */
  lanes: LaneResponse[];
};

export type WebhookResponse = {
  id: string;
  name: string;
  description: string | null;
  targetUrl: string;
  authentication: WebhookAuthenticationResponse;
  events: string[];
  /** status === "ACTIVE" */
  active: boolean;
  status: 'ACTIVE' | 'INACTIVE' | 'DISABLED';
  /** Why the platform disabled it (DISABLED only) */
  disabledReason: string | null;
  rateLimitPerSecond: number | null;
  /** Requests of one lane outstanding at once. With 1 (the default) events arrive in order: a request is sent only after the previous one was acknowledged (2xx) or gave up, and a failing request blocks the lane while it is retried. With more than 1, requests overlap and order is NOT guaranteed. */
  maxInFlight: number;
  /** The most real-time events one request carries (non-real-time requests carry up to BATCH_MAX_EVENTS). A request leaves at once with what is waiting: one event at low load, more under a backlog. */
  maxEventsPerRequest: number;
  /** Requests carry the traceparent/tracestate headers of their attempt */
  traceContextHeaders: boolean;
  createdAt: string;
  updatedAt: string;
};

export type WebhookTestResponse = {
  delivered: boolean;
  statusCode: number | null;
  durationMs: number;
  /** First KiB of the response body */
  responseBody: string;
  error: string | null;
  eventName: string;
  /** The webhook-id header sent */
  messageId: string;
  /** Unsaved SIGNATURE webhooks: the throwaway secret used */
  signingSecret?: string;
};
