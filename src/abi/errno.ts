/**
 * Xen errno values (docs/xen-pv32-abi.md §3.4; Xen xen/include/public/errno.h).
 *
 * A hypercall reports failure by returning the value negated in EAX
 * (STYLE §7: a guest-visible error is a returned −errno, never thrown).
 * The numbers are Xen's own, which happen to match Linux's for these names;
 * C spells them `XEN_EPERM` … so that they cannot clash with a guest libc.
 */
import { group, type ConstGroup } from "./constants.js";

export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  EWOULDBLOCK: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOSPC: 28,
  EROFS: 30,
  EMLINK: 31,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  EDEADLOCK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ENODATA: 61,
  ETIME: 62,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EILSEQ: 84,
  /** Internal to Xen (continuations); never returned to a guest. */
  ERESTART: 85,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
} as const;

export type ErrnoName = keyof typeof ERRNO;

/** The value a hypercall returns for `name`: −errno. */
export const xenError = (name: ErrnoName): number => -ERRNO[name];

export const errnoConstants: readonly ConstGroup[] = [
  group("XEN_", ERRNO, "Xen errno values (returned negated)", "§3.4", "errno.h"),
];

/** "EINVAL" for 22 or −22 (the first name when aliased); undefined if unknown. */
export function errnoName(value: number): ErrnoName | undefined {
  const v = Math.abs(value);
  return (Object.keys(ERRNO) as ErrnoName[]).find((name) => ERRNO[name] === v);
}
