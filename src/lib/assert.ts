/**
 * Host-invariant assertions (STYLE §7): a broken invariant of tsxen itself,
 * never a guest error. Guest errors are faults, errnos or a domain crash.
 */
export class InvariantError extends Error {
  override name = "InvariantError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
