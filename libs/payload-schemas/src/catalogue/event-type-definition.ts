import type { EventName } from './event-catalogue';

export interface EventTypeDefinition {
  name: EventName;
  /** Real-time events go out as they happen; the others are sent in scheduled batches. */
  realtime: boolean;
  description: string;
  /** class-validator DTO for `data` (documented fields only; extra fields pass through). */
  dataDto: new () => object;
  /** A realistic `data` object; valid against both `dataDto` and `schema`. */
  example: Record<string, unknown>;
  /** JSON Schema (draft 2020-12) of `data`. */
  schema: Record<string, unknown>;
}
