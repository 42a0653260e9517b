/**
 * The C renderer: constants, explicit padding and static asserts. (The
 * committed headers and the gcc check are tests/integration/abi-headers.test.ts.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { BANNER, abiHeaders, allStructs, declare, renderCompound, renderConstGroup } from "./c-headers.js";
import { group } from "./constants.js";
import { array, ptr, struct, u16, u32, u64, u8 } from "./layout.js";
import { vcpuInfo } from "./structs.js";

test("constants: decimal, hex for masks and for values ≥ 2^31, parenthesised negatives, strings", () => {
  const text = renderConstGroup(
    group("T_", { A: 1, B: -13, C: 0xf5800000, D: "xen-3.0" }, "test", "§0", "t.h"),
  );
  assert.match(text, /^\/\* test \(§0; t\.h\) \*\//);
  assert.match(text, /#define T_A +1\n/);
  assert.match(text, /#define T_B +\(-13\)\n/);
  assert.match(text, /#define T_C +0xf5800000\n/);
  assert.match(text, /#define T_D +"xen-3\.0"$/);
  assert.match(renderConstGroup(group("M_", { X: 16 }, "m", "§0", "m.h", { hex: true })), /#define M_X +0x10$/);
  assert.throws(() => renderConstGroup(group("", { BIG: 2 ** 40 }, "x", "", "")));
});

test("declarators for arrays, pointers and nested types", () => {
  assert.equal(declare(array(array(u8, 3), 2), "m"), "uint8_t m[2][3]");
  assert.equal(declare(ptr(u32), "p"), "uint32_t *p");
  assert.equal(declare(ptr(), "v"), "void *v");
  assert.equal(declare(vcpuInfo, "vi"), "struct vcpu_info vi");
});

test("implicit i386 padding becomes explicit members, and every offset is asserted", () => {
  const s = struct("padded", 16, [["a", u8, 0], ["b", u16, 2], ["c", u64, 4], ["d", u8, 12]], { section: "§0", header: "t.h" });
  const text = renderCompound(s);
  assert.match(text, /uint8_t _pad_at_1\[1\];/);
  assert.match(text, /uint8_t _pad_at_13\[3\];/);
  assert.match(text, /_Static_assert\(sizeof\(struct padded\) == 16/);
  assert.match(text, /_Static_assert\(__builtin_offsetof\(struct padded, c\) == 4/);
  assert.match(text, /typedef struct padded padded_t;/);
});

test("every header carries the banner; names are unique; structures are defined before use", () => {
  const headers = abiHeaders();
  assert.deepEqual(
    headers.map((h) => h.name),
    ["errno.h", "hypercall.h", "memory-layout.h", "segments.h", "event-channel.h", "grant-table.h", "rings.h",
      "elfnote.h", "features.h", "xen-structs.h", "xen.h"],
  );
  for (const h of headers) assert.ok(h.text.startsWith(`${BANNER}\n`), h.name);
  assert.equal(new Set(allStructs.map((c) => c.name)).size, allStructs.length);
  const structs = headers.find((h) => h.name === "xen-structs.h")?.text ?? "";
  assert.match(structs, /typedef uint16_t domid_t;/);
  assert.ok(structs.indexOf("struct vcpu_time_info {") < structs.indexOf("struct vcpu_info {"));
  assert.deepEqual(abiHeaders(), headers, "deterministic");
});
