import { test } from "node:test";
import assert from "node:assert/strict";
import { DebugExit, qemuExitStatus } from "./debug-exit.js";
import { MemoryDisk } from "./block-device.js";

test("a write of v reports v; reads are all ones", () => {
  const seen: number[] = [];
  const dev = new DebugExit((v) => seen.push(v));
  dev.portWrite(0, 1, 0x10);
  dev.portWrite(0, 4, 0xffffffff);
  dev.portWrite(2, 2, 0x1234);
  assert.deepEqual(seen, [0x10, 0xffffffff, 0x1234]);
  assert.equal(dev.portRead(0, 1), 0xff);
  assert.equal(dev.portRead(0, 2), 0xffff);
  assert.equal(dev.portRead(0, 4), 0xffffffff);
});

test("qemuExitStatus is (v << 1) | 1 as an 8-bit process status", () => {
  assert.equal(qemuExitStatus(0), 1);
  assert.equal(qemuExitStatus(0x10), 0x21);
  assert.equal(qemuExitStatus(0x31), 0x63);
  assert.equal(qemuExitStatus(0x80), 1);
});

test("MemoryDisk reads and writes whole sectors and rejects ranges past the end", () => {
  const disk = MemoryDisk.blank(4);
  assert.equal(disk.sectors, 4);
  const src = new Uint8Array(1024).fill(7);
  disk.write(2, 2, src);
  const dst = new Uint8Array(512);
  disk.read(3, 1, dst);
  assert.equal(dst[511], 7);
  disk.read(1, 1, dst);
  assert.equal(dst[0], 0);
  assert.throws(() => disk.read(3, 2, new Uint8Array(1024)), RangeError);
  assert.equal(new MemoryDisk(new Uint8Array(1000)).sectors, 1, "partial trailing sector ignored");
});
