/** Something /health/ready must see working (Postgres, Redis, Kafka): `check` resolves or throws why not. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
  /** Releases the probe's own connection at shutdown, when it has one. */
  close?(): Promise<void>;
}

export const READINESS_PROBES = Symbol('READINESS_PROBES');
