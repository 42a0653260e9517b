/**
 * The two rings every PV domU is born with: the console ring and the
 * xenstore ring (docs/xen-pv32-abi.md §9.2, §11.3, §1.5; Xen
 * xen/include/public/io/console.h, io/xs_wire.h).
 *
 * Both are byte rings with free-running u32 indices: byte k of a ring of
 * size S is at `k & (S − 1)`, and `prod − cons ≤ S` always. A producer
 * writes bytes, then (write barrier) advances its index, then sends an
 * event on the ring's port.
 *
 *   console page (xencons_interface)     xenstore page (xenstore_domain_interface)
 *   0     in[1024]    back-end → guest   0     req[1024]   guest → xenstored
 *   1024  out[2048]   guest → back-end   1024  rsp[1024]   xenstored → guest
 *   3072  in_cons, in_prod               2048  req_cons, req_prod
 *   3080  out_cons, out_prod             2056  rsp_cons, rsp_prod
 *   3088  connection (u8)                2064  server_features, connection, error,
 *                                        2076  evtchn_port
 */
import { group, type ConstGroup } from "./constants.js";
import { array, char, struct, u32, u8, type Compound } from "./layout.js";

export const XENCONS = {
  IN_SIZE: 1024,
  OUT_SIZE: 2048,
} as const;

/** xencons_interface.connection (§9.2): the builder starts it disconnected. */
export const XENCONSOLE = {
  CONNECTED: 0,
  DISCONNECTED: 1,
} as const;

export const xenconsInterface = struct("xencons_interface", 3092, [
  ["in", array(char, XENCONS.IN_SIZE), 0],
  ["out", array(char, XENCONS.OUT_SIZE), 1024],
  ["in_cons", u32, 3072, "guest"],
  ["in_prod", u32, 3076, "back-end"],
  ["out_cons", u32, 3080, "back-end"],
  ["out_prod", u32, 3084, "guest"],
  ["connection", u8, 3088, "XENCONSOLE_*"],
], { section: "§9.2", header: "io/console.h" });

export const XENSTORE = {
  RING_SIZE: 1024,
  /** Largest message payload. */
  PAYLOAD_MAX: 4096,
} as const;

export const xenstoreDomainInterface = struct("xenstore_domain_interface", 2080, [
  ["req", array(char, XENSTORE.RING_SIZE), 0],
  ["rsp", array(char, XENSTORE.RING_SIZE), 1024],
  ["req_cons", u32, 2048, "server"],
  ["req_prod", u32, 2052, "guest"],
  ["rsp_cons", u32, 2056, "guest"],
  ["rsp_prod", u32, 2060, "server"],
  ["server_features", u32, 2064, "XENSTORE_SERVER_FEATURE_*"],
  ["connection", u32, 2068, "XENSTORE_CONNECTED / RECONNECT"],
  ["error", u32, 2072, "XENSTORE_ERROR_*"],
  ["evtchn_port", u32, 2076, "not in the ABI document (xs_wire.h): set by Xen for dom0less domains only; 0 = unused"],
], { section: "§11.3", header: "io/xs_wire.h" });

/** Header of every xenstore message; the payload (≤ 4096 bytes) follows. */
export const xsdSockmsg = struct("xsd_sockmsg", 16, [
  ["type", u32, 0, "XS_*"],
  ["req_id", u32, 4, "echoed in the reply"],
  ["tx_id", u32, 8, "0 = no transaction; echoed"],
  ["len", u32, 12, "payload bytes"],
], { section: "§11.3", header: "io/xs_wire.h" });

export const XENSTORE_SERVER_FEATURE = {
  RECONNECTION: 1 << 0,
  ERROR: 1 << 1,
  WATCHDEPTH: 1 << 2,
  DOMID_ANY: 1 << 3,
} as const;

export const XENSTORE_STATE = {
  CONNECTED: 0,
  RECONNECT: 1,
} as const;

export const XENSTORE_ERROR = {
  NONE: 0,
  COMM: 1,
  RINGIDX: 2,
  PROTO: 3,
} as const;

/** xsd_sockmsg.type (§11.3). 20 was removed. */
export const XS = {
  CONTROL: 0,
  DIRECTORY: 1,
  READ: 2,
  GET_PERMS: 3,
  WATCH: 4,
  UNWATCH: 5,
  TRANSACTION_START: 6,
  TRANSACTION_END: 7,
  INTRODUCE: 8,
  RELEASE: 9,
  GET_DOMAIN_PATH: 10,
  WRITE: 11,
  MKDIR: 12,
  RM: 13,
  SET_PERMS: 14,
  WATCH_EVENT: 15,
  ERROR: 16,
  IS_DOMAIN_INTRODUCED: 17,
  RESUME: 18,
  SET_TARGET: 19,
  RESET_WATCHES: 21,
  DIRECTORY_PART: 22,
  GET_FEATURE: 23,
  SET_FEATURE: 24,
  GET_QUOTA: 25,
  SET_QUOTA: 26,
} as const;

export const ringStructs: readonly Compound[] = [xenconsInterface, xenstoreDomainInterface, xsdSockmsg];

export const ringConstants: readonly ConstGroup[] = [
  group("XENCONS_", XENCONS, "console ring sizes (tsxen names)", "§9.2", "io/console.h"),
  group("XENCONSOLE_", XENCONSOLE, "xencons_interface.connection", "§9.2", "io/console.h"),
  group("XENSTORE_", XENSTORE, "xenstore ring sizes", "§11.3", "io/xs_wire.h"),
  group("XENSTORE_SERVER_FEATURE_", XENSTORE_SERVER_FEATURE, "server_features bits", "§11.3", "io/xs_wire.h"),
  group("XENSTORE_", XENSTORE_STATE, "connection values", "§11.3", "io/xs_wire.h"),
  group("XENSTORE_ERROR_", XENSTORE_ERROR, "error values", "§11.3", "io/xs_wire.h"),
  group("XS_", XS, "xenstore message types", "§11.3", "io/xs_wire.h"),
];
