/** How a webhook authenticates to its listener, as an admin asks for it. */
export type WebhookAuthenticationInput =
  { type: 'NONE' } | { type: 'BASIC'; username: string; password?: string } | { type: 'SIGNATURE' };

/** Who acts, for which account: always from the verified token, never from the request body. */
export interface AdminActor {
  accountId: number;
  /** JWT `sub`, recorded in the audit log. */
  sub: string;
}

export interface CreateWebhookCommand {
  actor: AdminActor;
  name: string;
  description?: string | null;
  targetUrl: string;
  authentication: WebhookAuthenticationInput;
  events: string[];
  active?: boolean;
  rateLimitPerSecond?: number | null;
}

export interface UpdateWebhookCommand {
  actor: AdminActor;
  webhookId: string;
  name?: string;
  description?: string | null;
  targetUrl?: string;
  authentication?: WebhookAuthenticationInput;
  events?: string[];
  active?: boolean;
  rateLimitPerSecond?: number | null;
}
