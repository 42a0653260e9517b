/**
 * Randomized instruction test, fixed seed: cases 0..1999 of seed 1 (one
 * kernel, tests/cpu/fuzz.ts) must give the same registers, flags (the ones
 * the SDM leaves undefined masked), scratch memory and exceptions on tsxen
 * as on QEMU, and where QEMU is no oracle (RF in exception frames) tsxen
 * must follow the SDM. Bigger runs: `npm run test:fuzz -- --count N`.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { formatMismatch, runBatch, type BatchResult, type Mismatch } from "./fuzz.js";

const SEED = 1;
const COUNT = 2000;

const report = (what: string, ms: Mismatch[]): string =>
  `${ms.length} of ${COUNT} cases ${what}; the first:\n${ms.slice(0, 5).map(formatMismatch).join("\n\n")}`;

describe(`fuzz: seed ${SEED}, ${COUNT} random instruction sequences`, { timeout: 180_000 }, () => {
  let r: BatchResult;
  before(async () => {
    r = await runBatch(SEED, 0, COUNT, { timeoutMs: 120_000, tag: `test-s${SEED}-n${COUNT}`, cacheQemu: true });
  });

  it("both machines run every case", () => {
    assert.deepEqual(r.errors, [], r.errors.join("\n"));
  });

  it("tsxen matches QEMU", () => {
    assert.equal(r.mismatches.length, 0, report("differ from QEMU", r.mismatches));
  });

  it("tsxen follows the SDM where QEMU does not (RF in exception frames)", () => {
    assert.equal(r.sdm.length, 0, report("break an SDM rule", r.sdm));
  });
});
