/**
 * `npm run test:fuzz -- --count N [--seed S] [--batch B] [--show M] [--dump I]`
 *
 * Runs cases 0..N-1 of seed S (default: 1) in kernels of B cases (default
 * 2500), one kernel at a time (QEMU and tsxen run side by side, which is
 * all a 2-core machine has), prints a summary and the first M mismatches
 * (default 10) with the decoded case. --dump I prints case I and exits.
 * Exit status: 0 all matched, 1 mismatches (with QEMU or with an SDM rule
 * QEMU does not follow, see fuzz.ts checkSdm), 2 a run failed.
 */
import { describe } from "./fuzz-case.js";
import { generateCase } from "./fuzz-gen.js";
import { formatMismatch, runBatch, type Mismatch } from "./fuzz.js";

function option(name: string, fallback: number): number {
  const args = process.argv.slice(2);
  const k = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (k < 0) return fallback;
  const raw = args[k]!.includes("=") ? args[k]!.split("=")[1]! : args[k + 1];
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a non-negative integer`);
  return v;
}

async function main(): Promise<number> {
  const seed = option("seed", 1);
  const dump = option("dump", -1);
  if (dump >= 0) {
    console.log(describe(generateCase(seed, dump)));
    return 0;
  }
  const count = option("count", 5000);
  const batch = Math.max(1, option("batch", 2500));
  const show = option("show", 10);
  const started = Date.now();
  const mismatches: Mismatch[] = [];
  const sdm: Mismatch[] = [];
  const errors: string[] = [];
  let matched = 0;
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    const r = await runBatch(seed, start, n, { timeoutMs: Math.max(60_000, n * 100), tag: "cli", cacheQemu: false });
    matched += r.matched;
    mismatches.push(...r.mismatches);
    sdm.push(...r.sdm);
    errors.push(...r.errors);
    process.stderr.write(`fuzz: cases ${start}..${start + n - 1}: ${r.matched}/${n} match QEMU\n`);
  }
  for (const m of mismatches.slice(0, show)) console.log(formatMismatch(m) + "\n");
  if (sdm.length) console.log(`SDM rule broken (QEMU not compared) in ${sdm.length} runs, e.g.:\n${formatMismatch(sdm[0]!)}\n`);
  const byMnem = new Map<string, number>();
  for (const m of mismatches) {
    const last = m.c.insns.filter((i) => !i.setup).map((i) => i.sem.mnem);
    for (const x of new Set(last)) byMnem.set(x, (byMnem.get(x) ?? 0) + 1);
  }
  const top = [...byMnem].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k}:${v}`).join(" ");
  for (const e of errors) console.log(`run problem: ${e}`);
  console.log(`fuzz seed=${seed}: ${matched}/${count} cases match QEMU (${((100 * matched) / count).toFixed(2)}%), ` +
    `${mismatches.length} mismatching runs, ${sdm.length} runs break an SDM rule, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (top) console.log(`mnemonics in mismatching cases: ${top}`);
  return errors.length ? 2 : mismatches.length || sdm.length ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.error(e);
  process.exit(2);
});
