/** One problem in one config file, in the form admins read in a PR's CI log. */
export interface ConfigProblem {
  /** Path relative to the repository root, e.g. `partners/acme-corp.yaml`. */
  readonly file: string;
  /** Dotted field path, e.g. `webhooks[0].url`; `(file)` for the file as a whole. */
  readonly field: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}: ${problem.field}: ${problem.message}`;
}

/**
 * Thrown when any config file is invalid. Carries every problem in every file
 * so one synth run reports them all.
 */
export class ConfigError extends Error {
  public readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const sorted = [...problems].sort(
      (a, b) => a.file.localeCompare(b.file) || a.field.localeCompare(b.field) || a.message.localeCompare(b.message),
    );
    super(
      `${sorted.length} problem${sorted.length === 1 ? '' : 's'} in the platform config:\n` +
        sorted.map((p) => `  ${formatProblem(p)}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = sorted;
  }
}
