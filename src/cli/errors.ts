/** What can go wrong in the CLI, each with its exit code (documented in `tgw help`). */

export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3, unreachable: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line itself is wrong: unknown command, bad option or value, missing argument. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose usage to show with the message. */
    readonly command?: readonly string[],
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A problem+json answer from the gateway, other than 401/403. */
export interface ProblemInfo {
  status: number;
  code: string;
  detail: string;
  errors?: { path: string; message: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: ProblemInfo) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = 'ApiError';
  }
}

/** 401 or 403: the key is missing, wrong, or lacks the scope. */
export class AuthError extends Error {
  constructor(
    readonly problem: ProblemInfo,
    readonly keyGiven: boolean,
  ) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = 'AuthError';
  }
}

/** No HTTP answer at all: refused, unknown host, reset, timed out. */
export class UnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`cannot reach the gateway at ${url}: ${reason}`);
    this.name = 'UnreachableError';
  }
}
