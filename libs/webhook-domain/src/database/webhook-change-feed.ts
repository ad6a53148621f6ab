import { Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';

export interface WebhookChange {
  accountId: number;
  webhookId: string;
}

/** `null` means "anything may have changed" (the feed reconnected and may have missed notifications). */
export type WebhookChangeHandler = (change: WebhookChange | null) => void;

const CHANNEL = 'webhooks_changed';

/**
 * Streams the `webhooks_changed` notifications that the schema's triggers send on every webhook or
 * secret write. Caches of webhooks (ingestion's subscriptions, the dispatcher's targets and secrets)
 * listen here (through ChangeFeedCache). A dedicated connection, not a pool one: LISTEN is per session.
 * It starts itself once, when its module initialises; no cache starts it.
 */
export class WebhookChangeFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WebhookChangeFeed.name);
  private readonly handlers = new Set<WebhookChangeHandler>();
  private client?: Client;
  private stopped = false;
  private reconnectTimer?: NodeJS.Timeout;
  private started?: Promise<void>;

  constructor(private readonly databaseUrl: string) {}

  subscribe(handler: WebhookChangeHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onModuleInit(): Promise<void> {
    return this.start();
  }

  /** Listens from now on. Idempotent: a second call answers the first one's start. */
  start(): Promise<void> {
    this.started ??= this.connect();
    return this.started;
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'lms-webhooks-change-feed',
    });
    client.on('notification', (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        const change = JSON.parse(message.payload) as { accountId: number | string; webhookId: string };
        this.emit({ accountId: Number(change.accountId), webhookId: change.webhookId });
      } catch {
        this.emit(null);
      }
    });
    client.on('error', (error) => {
      this.logger.warn(`change feed connection lost: ${error.message}`);
      this.scheduleReconnect();
    });
    client.on('end', () => this.scheduleReconnect());
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.client = undefined;
    // Whatever changed while we were away was not heard: every cache must start over.
    this.emit(null);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect().catch((error: Error) => {
        this.logger.warn(`change feed reconnect failed: ${error.message}`);
        this.scheduleReconnect();
      });
    }, 1000);
  }

  private emit(change: WebhookChange | null): void {
    for (const handler of this.handlers) handler(change);
  }
}
