import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A signing secret. Rotation adds a new row and sets expires_at on the old one; the signer uses every unexpired row. */
@Entity({ name: 'webhook_secrets' })
export class WebhookSecret {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  /** AES-256-GCM ciphertext of the `whsec_…` secret. */
  @Column({ name: 'secret_enc', type: 'text' })
  secretEnc: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;
}
