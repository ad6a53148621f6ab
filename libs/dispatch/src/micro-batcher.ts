/**
 * Serves concurrent requests with one call per batch, so N concurrent jobs cost one round trip instead
 * of N. Group-commit style rather than a fixed time window: while fewer than `maxInFlight` batches are
 * running, what was submitted in this tick goes out at once (no added latency when the load is low);
 * when that many are running, submissions wait and leave together as soon as one finishes (large
 * batches exactly when the load is high). Each caller's promise settles with its own result (or the
 * batch's error).
 */
export class MicroBatcher<Input, Output> {
  private pending: Array<{
    input: Input;
    resolve: (output: Output) => void;
    reject: (error: unknown) => void;
  }> = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly run: (inputs: Input[]) => Promise<Output[]>,
    private readonly options: { maxSize: number; maxInFlight: number },
  ) {}

  submit(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length >= this.options.maxSize && this.inFlight.size < this.options.maxInFlight) {
        this.flush();
      } else {
        this.schedule();
      }
    });
  }

  /** Resolves when everything submitted so far has settled. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.inFlight.size > 0) {
      if (this.pending.length > 0 && this.inFlight.size < this.options.maxInFlight) this.flush();
      if (this.inFlight.size > 0) await Promise.race([...this.inFlight]);
    }
  }

  /** Coalesces the submissions of one tick (setImmediate runs after the current I/O callbacks). */
  private schedule(): void {
    if (this.scheduled || this.inFlight.size >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight.size < this.options.maxInFlight) this.flush();
    });
  }

  private flush(): void {
    const batch = this.pending.splice(0, this.options.maxSize);
    if (batch.length === 0) return;
    const running = this.run(batch.map((entry) => entry.input)).then(
      (outputs) => batch.forEach((entry, index) => entry.resolve(outputs[index])),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    this.inFlight.add(running);
    void running.finally(() => {
      this.inFlight.delete(running);
      // A slot is free: whatever queued up meanwhile leaves now, as one batch.
      if (this.pending.length > 0) this.schedule();
    });
  }
}
