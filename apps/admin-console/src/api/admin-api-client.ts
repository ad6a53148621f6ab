import { ApiError } from './api-error';
import type {
  AuditEntry,
  DeliveryDetail,
  DeliveryPage,
  DeliveryStatus,
  EventType,
  SigningSecretFile,
  TestResult,
  Webhook,
  WebhookDetail,
  WebhookInput,
} from './api-types';

const API_BASE = '/api/v1';

/** The admin REST API with the signed-in admin's token. 401 and 403 are also reported to `onAuthFailure`. */
export class AdminApiClient {
  constructor(
    private readonly token: string,
    private readonly onAuthFailure: (error: ApiError) => void = () => undefined,
  ) {}

  listEventTypes(): Promise<EventType[]> {
    return this.request('GET', '/event-types');
  }

  listWebhooks(): Promise<Webhook[]> {
    return this.request('GET', '/webhooks');
  }

  getWebhook(id: string): Promise<WebhookDetail> {
    return this.request('GET', `/webhooks/${encodeURIComponent(id)}`);
  }

  createWebhook(input: WebhookInput): Promise<Webhook> {
    return this.request('POST', '/webhooks', input);
  }

  updateWebhook(id: string, input: Partial<WebhookInput>): Promise<Webhook> {
    return this.request('PATCH', `/webhooks/${encodeURIComponent(id)}`, input);
  }

  deleteWebhook(id: string): Promise<void> {
    return this.request('DELETE', `/webhooks/${encodeURIComponent(id)}`);
  }

  testUnsavedWebhook(
    input: Pick<WebhookInput, 'targetUrl' | 'authentication' | 'events'>,
  ): Promise<TestResult> {
    return this.request('POST', '/webhooks/test', input);
  }

  downloadSignature(id: string): Promise<SigningSecretFile> {
    return this.request('GET', `/webhooks/${encodeURIComponent(id)}/signature`);
  }

  auditLog(id: string): Promise<AuditEntry[]> {
    return this.request('GET', `/webhooks/${encodeURIComponent(id)}/audit`);
  }

  listDeliveries(
    webhookId: string,
    filter: { status?: DeliveryStatus; cursor?: string; limit?: number },
  ): Promise<DeliveryPage> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.cursor) query.set('cursor', filter.cursor);
    if (filter.limit) query.set('limit', String(filter.limit));
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    return this.request('GET', `/webhooks/${encodeURIComponent(webhookId)}/deliveries${suffix}`);
  }

  getDelivery(id: string): Promise<DeliveryDetail> {
    return this.request('GET', `/deliveries/${encodeURIComponent(id)}`);
  }

  redeliver(id: string): Promise<{ eventCount: number }> {
    return this.request('POST', `/deliveries/${encodeURIComponent(id)}/redeliver`);
  }

  replay(
    webhookId: string,
    from: string,
    to: string,
  ): Promise<{ count: number; realtimeEvents: number; batchedEvents: number }> {
    return this.request('POST', `/webhooks/${encodeURIComponent(webhookId)}/replay`, { from, to });
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const text = await response.text();
    const parsed = parseJson(text);
    if (!response.ok) {
      const error = ApiError.fromBody(response.status, parsed);
      if (response.status === 401 || response.status === 403) this.onAuthFailure(error);
      throw error;
    }
    return parsed as T;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
