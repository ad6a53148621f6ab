import { ApiError } from './api-error';
import type {
  AuditEntry,
  DeliveryDetail,
  DeliveryPage,
  DeliveryStatus,
  EventType,
  Redelivery,
  ReplayResult,
  SigningSecretFile,
  TestResult,
  UnsavedWebhookTest,
  Webhook,
  WebhookChanges,
  WebhookDetail,
  WebhookInput,
  WebhookList,
} from './api-types';

const API_BASE = '/api/v1';
/** GET /webhooks answers the account's limit (MAX_WEBHOOKS_PER_ACCOUNT) in this header. */
const WEBHOOK_LIMIT_HEADER = 'X-Webhook-Limit';

/** Every read takes an AbortSignal: a page that moved on cancels what it no longer needs. */
export interface ReadOptions {
  signal?: AbortSignal;
}

/** The admin REST API with the signed-in admin's token. 401 and 403 are also reported to `onAuthFailure`. */
export class AdminApiClient {
  constructor(
    private readonly token: string,
    private readonly onAuthFailure: (error: ApiError) => void = () => undefined,
  ) {}

  listEventTypes(options?: ReadOptions): Promise<EventType[]> {
    return this.json('GET', '/event-types', undefined, options);
  }

  async listWebhooks(options?: ReadOptions): Promise<WebhookList> {
    const response = await this.send('GET', '/webhooks', undefined, options);
    const limit = Number(response.headers.get(WEBHOOK_LIMIT_HEADER));
    return {
      webhooks: (await readJson(response)) as WebhookDetail[],
      limit: Number.isInteger(limit) && limit > 0 ? limit : undefined,
    };
  }

  getWebhook(id: string, options?: ReadOptions): Promise<WebhookDetail> {
    return this.json('GET', `/webhooks/${encodeURIComponent(id)}`, undefined, options);
  }

  createWebhook(input: WebhookInput): Promise<Webhook> {
    return this.json('POST', '/webhooks', input);
  }

  updateWebhook(id: string, changes: WebhookChanges): Promise<Webhook> {
    return this.json('PATCH', `/webhooks/${encodeURIComponent(id)}`, changes);
  }

  async deleteWebhook(id: string): Promise<void> {
    await this.send('DELETE', `/webhooks/${encodeURIComponent(id)}`);
  }

  testUnsavedWebhook(input: UnsavedWebhookTest): Promise<TestResult> {
    return this.json('POST', '/webhooks/test', input);
  }

  downloadSignature(id: string): Promise<SigningSecretFile> {
    return this.json('GET', `/webhooks/${encodeURIComponent(id)}/signature`);
  }

  auditLog(id: string, options?: ReadOptions): Promise<AuditEntry[]> {
    return this.json('GET', `/webhooks/${encodeURIComponent(id)}/audit`, undefined, options);
  }

  listDeliveries(
    webhookId: string,
    filter: { status?: DeliveryStatus; cursor?: string; limit?: number },
    options?: ReadOptions,
  ): Promise<DeliveryPage> {
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.cursor) query.set('cursor', filter.cursor);
    if (filter.limit) query.set('limit', String(filter.limit));
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const path = `/webhooks/${encodeURIComponent(webhookId)}/deliveries${suffix}`;
    return this.json('GET', path, undefined, options);
  }

  getDelivery(id: string, options?: ReadOptions): Promise<DeliveryDetail> {
    return this.json('GET', `/deliveries/${encodeURIComponent(id)}`, undefined, options);
  }

  redeliver(id: string): Promise<Redelivery> {
    return this.json('POST', `/deliveries/${encodeURIComponent(id)}/redeliver`);
  }

  replay(webhookId: string, from: string, to: string): Promise<ReplayResult> {
    return this.json('POST', `/webhooks/${encodeURIComponent(webhookId)}/replay`, { from, to });
  }

  private async json<T>(method: string, path: string, body?: unknown, options?: ReadOptions): Promise<T> {
    return (await readJson(await this.send(method, path, body, options))) as T;
  }

  /** The answer when it is a success; an ApiError (read once, here) when it is not. */
  private async send(method: string, path: string, body?: unknown, options?: ReadOptions): Promise<Response> {
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
      signal: options?.signal,
    });
    if (!response.ok) {
      const error = ApiError.fromBody(response.status, await readJson(response));
      if (response.status === 401 || response.status === 403) this.onAuthFailure(error);
      throw error;
    }
    return response;
  }
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
