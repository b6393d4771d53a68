// Errors a user can fix (bad override, missing file, corrupt data). The CLI prints their message
// as one line on stderr and exits with code 2; anything else is a bug and keeps its stack trace.

export class UserError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || (e instanceof Error && e.name === 'UserError');
}

/** Throws a UserError unless `cond` holds. */
export function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new UserError(message);
}
