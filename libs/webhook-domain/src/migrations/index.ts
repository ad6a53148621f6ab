import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { TwoSigningSecretsAtMost1764400000000 } from './1764400000000-two-signing-secrets-at-most';
import { CaseInsensitiveWebhookNames1764400000001 } from './1764400000001-case-insensitive-webhook-names';
import { DeliveryLanes1764500000000 } from './1764500000000-delivery-lanes';
import { RequestByteCap1764600000200 } from './1764600000200-request-byte-cap';
import { WebhookReplays1764600000400 } from './1764600000400-webhook-replays';
import { LaneEngineV21764700000000 } from './1764700000000-lane-engine-v2';
import { EventTraceContext1764700000500 } from './1764700000500-event-trace-context';
import { LaneProtocolV31764800000000 } from './1764800000000-lane-protocol-v3';
import { TraceContextColumns1764800000300 } from './1764800000300-trace-context-columns';
import { ClaimReceivedAt1764800000400 } from './1764800000400-claim-received-at';
import { PartitionedDeliveryLog1764800000500 } from './1764800000500-partitioned-delivery-log';
import { LanePlans1764800000600 } from './1764800000600-lane-plans';
import { OutcomePruning1764800000700 } from './1764800000700-outcome-pruning';
import { PartitionedEvents1764800000800 } from './1764800000800-partitioned-events';

/** Listed, not globbed: bundled builds have no migrations folder to scan. Append new ones at the end. */
export const WEBHOOK_DOMAIN_MIGRATIONS = [
  InitialSchema1764300000000,
  TwoSigningSecretsAtMost1764400000000,
  CaseInsensitiveWebhookNames1764400000001,
  DeliveryLanes1764500000000,
  RequestByteCap1764600000200,
  WebhookReplays1764600000400,
  LaneEngineV21764700000000,
  EventTraceContext1764700000500,
  LaneProtocolV31764800000000,
  TraceContextColumns1764800000300,
  ClaimReceivedAt1764800000400,
  PartitionedDeliveryLog1764800000500,
  LanePlans1764800000600,
  OutcomePruning1764800000700,
  PartitionedEvents1764800000800,
];
