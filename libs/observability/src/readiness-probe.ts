/** Something /health/ready must see working (Postgres, Redis, Kafka): `check` resolves or throws why not. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
  /** Releases the probe's own connection at shutdown, when it has one. */
  close?(): Promise<void>;
}

/**
 * What /health/ready checks: the dependencies the app was configured with, plus probes that parts of
 * the app add for their own state (the Kafka consumer says whether it is consuming).
 */
export class ReadinessProbes {
  private readonly probes: ReadinessProbe[];

  constructor(initial: readonly ReadinessProbe[] = []) {
    this.probes = [...initial];
  }

  add(probe: ReadinessProbe): void {
    this.probes.push(probe);
  }

  list(): readonly ReadinessProbe[] {
    return this.probes;
  }
}
