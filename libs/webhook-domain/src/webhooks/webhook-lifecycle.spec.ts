import type { EntityManager } from 'typeorm';
import type { Webhook } from '../entities';
import type { LaneRepository } from '../lanes/lane.repository';
import {
  CANCELLED_BY_WEBHOOK_DISABLED,
  CANCELLED_BY_WEBHOOK_INACTIVE,
  SYSTEM_ACTOR,
  WebhookLifecycle,
} from './webhook-lifecycle';
import type { AuditRow, WebhookRepository } from './webhook.repository';

type LifecycleStore = Pick<
  WebhookRepository,
  'cancelOpenWork' | 'deleteSecrets' | 'save' | 'audit' | 'auditMany' | 'disableActive'
>;

/** The webhook tables in memory: what the lifecycle wrote, in order. */
class FakeWebhookStore implements LifecycleStore {
  readonly writes: string[] = [];
  readonly audits: AuditRow[] = [];
  readonly saved: Webhook[] = [];
  readonly rows = new Map<string, Webhook>();
  openDeliveries = 2;

  async cancelOpenWork(_manager: EntityManager, webhookIds: readonly string[], cancelledBy: string) {
    this.writes.push(`cancel ${webhookIds.join(',')} by ${cancelledBy}`);
    return this.openDeliveries;
  }
  async deleteSecrets(_manager: EntityManager, webhookId: string) {
    this.writes.push(`delete secrets ${webhookId}`);
  }
  async save(_manager: EntityManager, webhook: Webhook) {
    this.writes.push(`save ${webhook.id} ${webhook.status}`);
    this.saved.push({ ...webhook });
  }
  async audit(_manager: EntityManager, entry: AuditRow) {
    this.writes.push(`audit ${entry.action}`);
    this.audits.push(entry);
  }
  async auditMany(_manager: EntityManager, entries: readonly AuditRow[]) {
    this.writes.push(`audit ${entries.map((entry) => entry.action).join(',')}`);
    this.audits.push(...entries);
  }
  async disableActive(_manager: EntityManager, webhookIds: readonly string[], reason: string) {
    const changed = webhookIds
      .map((id) => this.rows.get(id))
      .filter(
        (row): row is Webhook => row !== undefined && row.status === 'ACTIVE' && row.deletedAt === null,
      );
    for (const row of changed) Object.assign(row, { status: 'DISABLED', disabledReason: reason });
    this.writes.push(`disable ${changed.map((row) => row.id).join(',')}`);
    return changed.map((row) => ({ id: row.id, accountId: row.accountId, failingSince: row.failingSince }));
  }
}

class FakeLanes implements Pick<LaneRepository, 'cancelDelivery'> {
  readonly cancelled: Array<[string, string]> = [];
  async cancelDelivery(deliveryId: string, cancelledBy: string) {
    this.cancelled.push([deliveryId, cancelledBy]);
  }
}

const NOW = new Date('2026-12-07T12:00:00Z');
const manager = {} as EntityManager;
const admin = { accountId: 1010, sub: 'alice' };

function webhook(overrides: Partial<Webhook> = {}): Webhook {
  return {
    id: 'w-1',
    accountId: 1010,
    name: 'HR sync',
    description: null,
    targetUrl: 'https://hr.example.org/hooks',
    authType: 'BASIC',
    basicUsername: 'lms',
    basicPasswordEnc: 'v2:ciphertext',
    events: ['COURSE_ENROLLMENT'],
    status: 'ACTIVE',
    disabledReason: null,
    rateLimitPerSecond: null,
    maxInFlight: 1,
    maxEventsPerRequest: 100,
    traceContextHeaders: true,
    failingSince: null,
    createdAt: new Date('2026-01-01T00:00:00Z'),
    updatedAt: new Date('2026-01-01T00:00:00Z'),
    deletedAt: null,
    ...overrides,
  };
}

describe('WebhookLifecycle', () => {
  let store: FakeWebhookStore;
  let lanes: FakeLanes;
  let lifecycle: WebhookLifecycle;

  beforeEach(() => {
    store = new FakeWebhookStore();
    lanes = new FakeLanes();
    lifecycle = new WebhookLifecycle(
      store as unknown as WebhookRepository,
      lanes as unknown as LaneRepository,
      () => NOW,
    );
  });

  describe('retire (an admin sets active: false)', () => {
    it.each(['ACTIVE', 'DISABLED'] as const)(
      'takes a %s webhook out: its work cancelled by the admin, then INACTIVE saved and audited RETIRED',
      async (status) => {
        const target = webhook({ status });
        expect(await lifecycle.retire(manager, target, admin)).toBe(true);
        expect(store.writes).toEqual(['cancel w-1 by admin:alice', 'save w-1 INACTIVE', 'audit RETIRED']);
        expect(store.saved[0]).toMatchObject({ status: 'INACTIVE', updatedAt: NOW });
        expect(store.audits).toEqual([
          {
            accountId: 1010,
            webhookId: 'w-1',
            actor: 'alice',
            action: 'RETIRED',
            details: { from: status, to: 'INACTIVE' },
          },
        ]);
      },
    );

    it('still cancels what waits for an INACTIVE webhook, and writes no status change or audit row', async () => {
      expect(await lifecycle.retire(manager, webhook({ status: 'INACTIVE' }), admin)).toBe(false);
      expect(store.writes).toEqual(['cancel w-1 by admin:alice']);
    });
  });

  describe('delete', () => {
    it('cancels its work, drops its secrets and password, marks it deleted at the clock and audits DELETED', async () => {
      const target = webhook({ status: 'DISABLED' });
      await lifecycle.delete(manager, target, admin);
      expect(store.writes).toEqual([
        'cancel w-1 by admin:alice',
        'delete secrets w-1',
        'save w-1 INACTIVE',
        'audit DELETED',
      ]);
      expect(store.saved[0]).toMatchObject({
        status: 'INACTIVE',
        basicPasswordEnc: null,
        deletedAt: NOW,
        updatedAt: NOW,
      });
      expect(store.audits[0]).toEqual({
        accountId: 1010,
        webhookId: 'w-1',
        actor: 'alice',
        action: 'DELETED',
        details: { name: 'HR sync', statusBefore: 'DISABLED', cancelledDeliveries: 2 },
      });
    });
  });

  describe('disable (410, auto-disable)', () => {
    it('disables only the ACTIVE live ones, audits each by system with the reason, then cancels their work', async () => {
      const failingSince = new Date('2026-12-01T00:00:00Z');
      store.rows.set('w-1', webhook({ id: 'w-1', failingSince }));
      store.rows.set('w-2', webhook({ id: 'w-2', accountId: 2020, status: 'INACTIVE' }));
      store.rows.set('w-3', webhook({ id: 'w-3', accountId: 3030 }));

      const disabled = await lifecycle.disable(manager, {
        webhookIds: ['w-1', 'w-2', 'w-3'],
        action: 'AUTO_DISABLED',
        reason: 'No successful delivery for 86400 s',
      });

      expect(disabled).toEqual(['w-1', 'w-3']);
      expect(store.writes).toEqual([
        'disable w-1,w-3',
        'audit AUTO_DISABLED,AUTO_DISABLED',
        `cancel w-1,w-3 by ${CANCELLED_BY_WEBHOOK_DISABLED}`,
      ]);
      expect(store.audits).toEqual([
        {
          accountId: 1010,
          webhookId: 'w-1',
          actor: SYSTEM_ACTOR,
          action: 'AUTO_DISABLED',
          details: { reason: 'No successful delivery for 86400 s', failingSince },
        },
        {
          accountId: 3030,
          webhookId: 'w-3',
          actor: SYSTEM_ACTOR,
          action: 'AUTO_DISABLED',
          details: { reason: 'No successful delivery for 86400 s', failingSince: null },
        },
      ]);
    });

    it("adds the cause's details to the audit row (410: which delivery, which status)", async () => {
      store.rows.set('w-1', webhook());
      await lifecycle.disable(manager, {
        webhookIds: ['w-1'],
        action: 'DISABLED_BY_RECEIVER',
        reason: 'The receiver answered 410 Gone',
        details: { deliveryId: 'd-1', statusCode: 410 },
      });
      expect(store.audits[0]?.details).toEqual({
        reason: 'The receiver answered 410 Gone',
        failingSince: null,
        deliveryId: 'd-1',
        statusCode: 410,
      });
    });

    it('writes nothing more when none of them is ACTIVE (already disabled by another replica)', async () => {
      store.rows.set('w-1', webhook({ status: 'DISABLED' }));
      const disabled = await lifecycle.disable(manager, {
        webhookIds: ['w-1'],
        action: 'DISABLED_BY_RECEIVER',
        reason: 'The receiver answered 410 Gone',
      });
      expect(disabled).toEqual([]);
      expect(store.writes).toEqual(['disable ']);
    });
  });

  it('cancels a delivery whose webhook left service before its turn, saying so', async () => {
    await lifecycle.cancelDeliveryOfInactiveWebhook('d-9');
    expect(lanes.cancelled).toEqual([['d-9', CANCELLED_BY_WEBHOOK_INACTIVE]]);
  });
});
