import assert from "node:assert/strict";
import { test } from "node:test";
import { ERRNO } from "../../abi/errno.js";
import { XENVER } from "../../abi/hypercalls.js";
import type { Vaddr } from "../../lib/brand.js";
import type { GuestCopy } from "../core/guest-copy.js";
import { xenVersion } from "./xen-version.js";

/** A guest whose memory is one map of writes; address 0xdead faults. */
function fakeGuest(): GuestCopy & { writes: Map<number, Uint8Array> } {
  const writes = new Map<number, Uint8Array>();
  return {
    writes,
    copyFromGuest: () => undefined,
    copyToGuest: (va: Vaddr, bytes: Uint8Array) => (va === 0xdead ? false : (writes.set(va, bytes), true)),
  };
}

test("xen_version: version word, padded strings, platform parameters, page size, errors", () => {
  const g = fakeGuest();
  assert.equal(xenVersion(g, XENVER.version, 0), 0x00040017);
  assert.equal(xenVersion(g, XENVER.extraversion, 0x1000), 0);
  const extra = g.writes.get(0x1000)!;
  assert.equal(extra.length, 16);
  assert.equal(new TextDecoder().decode(extra.subarray(0, 9)), "-unstable");
  assert.ok(extra.subarray(9).every((b) => b === 0));
  assert.equal(xenVersion(g, XENVER.capabilities, 0x2000), 0);
  assert.equal(g.writes.get(0x2000)!.length, 1024);
  assert.match(new TextDecoder().decode(g.writes.get(0x2000)!), /^xen-3\.0-x86_32p\0+$/);
  assert.equal(xenVersion(g, XENVER.platform_parameters, 0x3000), 0);
  assert.deepEqual([...g.writes.get(0x3000)!], [0x00, 0x00, 0x80, 0xf5]);
  assert.equal(xenVersion(g, XENVER.pagesize, 0), 4096);
  assert.equal(xenVersion(g, XENVER.pagesize, 0x4000), -ERRNO.EINVAL);
  assert.equal(xenVersion(g, XENVER.extraversion, 0xdead), -ERRNO.EFAULT);
  assert.equal(xenVersion(g, 99, 0), -ERRNO.ENOSYS);
});
