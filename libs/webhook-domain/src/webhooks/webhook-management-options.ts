import type { TargetUrlRules } from './target-url-policy';

export interface WebhookManagementOptions {
  /** AES-256-GCM key for Basic passwords and signing secrets at rest. */
  secretsKey: Buffer;
  maxWebhooksPerAccount: number;
  /** How long a rotated-out signing secret keeps signing alongside the new one. */
  secretRotationOverlapMs: number;
  targets: TargetUrlRules;
}

export const WEBHOOK_MANAGEMENT_OPTIONS = Symbol('WEBHOOK_MANAGEMENT_OPTIONS');
