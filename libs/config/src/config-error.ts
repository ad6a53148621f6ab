export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Thrown at boot when the environment is wrong; names every bad variable so the operator can fix all at once. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      `Invalid configuration:\n${problems.map((problem) => `  - ${problem.variable}: ${problem.message}`).join('\n')}`,
    );
    this.name = 'ConfigValidationError';
  }
}
