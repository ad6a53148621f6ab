// The admin API's shapes as the console reads them (see /docs-json). Fields that newer servers add
// (maxInFlight, maxEventsPerRequest, lanes) are optional here so an older server still renders.

export type AuthenticationType = 'NONE' | 'BASIC' | 'SIGNATURE';
export type WebhookStatus = 'ACTIVE' | 'INACTIVE' | 'DISABLED';
export type DeliveryStatus = 'PENDING' | 'RETRYING' | 'SUCCEEDED' | 'DEAD' | 'CANCELLED';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = [
  'PENDING',
  'RETRYING',
  'SUCCEEDED',
  'DEAD',
  'CANCELLED',
];

export interface EventType {
  name: string;
  realtime: boolean;
  description: string;
}

export interface Webhook {
  id: string;
  name: string;
  description: string | null;
  targetUrl: string;
  authentication: { type: AuthenticationType; username?: string };
  events: string[];
  active: boolean;
  status: WebhookStatus;
  disabledReason: string | null;
  rateLimitPerSecond: number | null;
  maxInFlight?: number;
  maxEventsPerRequest?: number;
  createdAt: string;
  updatedAt: string;
}

export interface Lane {
  kind: 'REALTIME' | 'BATCH';
  pendingEvents: number;
  heldEvents?: number;
  blockedSince: string | null;
}

export interface WebhookDetail extends Webhook {
  lanes?: Lane[];
}

export interface WebhookInput {
  name: string;
  description: string | null;
  targetUrl: string;
  authentication: { type: AuthenticationType; username?: string; password?: string };
  events: string[];
  active: boolean;
  rateLimitPerSecond?: number | null;
  maxInFlight?: number;
  maxEventsPerRequest?: number;
}

export interface TestResult {
  delivered: boolean;
  statusCode: number | null;
  durationMs: number;
  responseBody: string;
  error: string | null;
  eventName: string;
}

export interface DeliverySummary {
  id: string;
  kind: 'REALTIME' | 'BATCH';
  status: DeliveryStatus;
  eventCount: number;
  eventNames: string[];
  attemptCount: number;
  lastStatusCode: number | null;
  lastError: string | null;
  redeliveryOf: string | null;
  createdAt: string;
}

export interface DeliveryPage {
  items: DeliverySummary[];
  nextCursor: string | null;
}

export interface DeliveryDetail extends DeliverySummary {
  events: { eventId: string; eventName: string; timestamp: number }[];
  attempts: {
    attemptNumber: number;
    startedAt: string;
    durationMs: number;
    statusCode: number | null;
    error: string | null;
    responseSnippet: string | null;
  }[];
}

export interface AuditEntry {
  action: string;
  actor: string;
  at: string;
  details: Record<string, unknown>;
}

export interface SigningSecretFile {
  webhookId: string;
  secret: string;
  [key: string]: unknown;
}
