/**
 * Collects requests for a few milliseconds and serves them with one call, so N concurrent jobs cost one
 * round trip instead of N. Each caller's promise settles with its own result (or the batch's error).
 */
export class MicroBatcher<Input, Output> {
  private pending: Array<{
    input: Input;
    resolve: (output: Output) => void;
    reject: (error: unknown) => void;
  }> = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly run: (inputs: Input[]) => Promise<Output[]>,
    private readonly options: { windowMs: number; maxSize: number },
  ) {}

  submit(input: Input): Promise<Output> {
    return new Promise<Output>((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      if (this.pending.length >= this.options.maxSize) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.windowMs);
    });
  }

  /** Resolves when every batch handed out so far has settled. */
  async drain(): Promise<void> {
    if (this.pending.length > 0) this.flush();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const running = this.run(batch.map((entry) => entry.input)).then(
      (outputs) => batch.forEach((entry, index) => entry.resolve(outputs[index])),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
  }
}
