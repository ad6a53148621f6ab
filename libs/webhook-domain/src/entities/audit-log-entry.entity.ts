import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintNumber } from './bigint-number.transformer';

export type AuditAction =
  | 'CREATED'
  | 'UPDATED'
  | 'ACTIVATED'
  | 'RETIRED'
  | 'DELETED'
  | 'SECRET_ROTATED'
  | 'SECRET_DOWNLOADED'
  | 'AUTO_DISABLED'
  | 'DISABLED_BY_RECEIVER';

@Entity({ name: 'audit_log' })
export class AuditLogEntry {
  @PrimaryColumn({ type: 'bigint', transformer: bigintNumber })
  id: number;

  @Column({ name: 'account_id', type: 'bigint', transformer: bigintNumber })
  accountId: number;

  @Column({ name: 'webhook_id', type: 'uuid', nullable: true })
  webhookId: string | null;

  /** The admin's JWT `sub`, or `system` for the platform's own actions (auto-disable). */
  @Column({ type: 'varchar', length: 255 })
  actor: string;

  @Column({ type: 'varchar', length: 32 })
  action: AuditAction;

  @Column({ type: 'timestamptz' })
  at: Date;

  @Column({ type: 'jsonb' })
  details: Record<string, unknown>;
}
