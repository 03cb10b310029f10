/**
 * Exit codes a script can rely on. The README's table is written from this object; keep them
 * in step.
 */
export const ExitCode = {
  /** Everything asked for was done. */
  Ok: 0,
  /** An unexpected failure inside Callsign (a bug, or the store failing mid-way). */
  Internal: 1,
  /** Bad command line or invalid configuration: nothing was done. */
  Usage: 2,
  /** The run finished, but some operations failed or some people had problems. */
  Partial: 3,
  /** The safety brake held the run: it waits for `callsign approve` or `callsign reject`. */
  Braked: 4,
  /** A source could not be read completely: nobody was de-provisioned from it. */
  SourceIncomplete: 5,
  /** The store could not be opened (database unreachable, file not writable). */
  Store: 6,
  /** The thing named (run, operation, person) does not exist or is not in a state for that. */
  NotFound: 7,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
