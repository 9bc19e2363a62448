// The three ways a command can fail, each with its exit code: scripts tell a typo (2) from a gateway problem (1).

/** A failure with a message fit for the user (never a stack trace) and the process exit code it maps to. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The command line (or the configuration) is wrong: nothing was sent to the gateway. Exit code 2. */
export class UsageError extends CliError {
  /** The command whose usage applies, so the error can point at its --help. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message, 2);
    this.command = command;
  }
}

/** The gateway could not be reached, or answered with an error. Exit code 1. */
export class ApiError extends CliError {
  /** HTTP status, or undefined when no answer came back at all. */
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  constructor(message: string, status?: number, requestId?: string) {
    super(message, 1);
    this.status = status;
    this.requestId = requestId;
  }
}
