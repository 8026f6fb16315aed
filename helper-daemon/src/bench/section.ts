/**
 * The benchmark is a list of sections; each prints its own tables. To add one, create
 * `bench/<name>.ts` exporting a {@link BenchSection} and add it to `bench/index.ts`.
 */

export interface BenchContext {
  /** `--full`: include the largest (slowest) cases. */
  readonly full: boolean;
  /** Prints a titled table with a header row; numbers should already be formatted. */
  table(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void;
  /** Prints a line of explanation. */
  note(text: string): void;
}

export interface BenchSection {
  /** Selects the section with `--only NAME`. */
  readonly name: string;
  /** One line said before the section runs. */
  readonly summary: string;
  run(context: BenchContext): Promise<void>;
}
