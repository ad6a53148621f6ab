import { randomBytes } from 'node:crypto';

/** A public literal IP (TEST-NET would be refused): creating a webhook never connects to it. */
export const PUBLIC_TARGET = 'https://93.184.215.14/hooks/lms';

export interface WebhookBody {
  name?: unknown;
  description?: unknown;
  targetUrl?: unknown;
  authentication?: unknown;
  events?: unknown;
  active?: unknown;
  [key: string]: unknown;
}

/** A valid create body; override any field. */
export function webhookBody(overrides: WebhookBody = {}): WebhookBody {
  return {
    name: `hook-${randomBytes(3).toString('hex')}`,
    description: 'Sends enrollments to the HR system',
    targetUrl: PUBLIC_TARGET,
    authentication: { type: 'NONE' },
    events: ['COURSE_ENROLLMENT', 'COURSE_COMPLETED'],
    ...overrides,
  };
}
