#!/usr/bin/env node
// Checks one column of a benchmark-kit results.json against the project's
// speed targets and prints a markdown "targets" table:
//   coremark >= 100 MIPS, sieve >= 100 MIPS,
//   paging overhead (paging ns/iter / coremark ns/iter - 1) < 10 %,
//   int/iret round trip (int80: ring 0->0, int80u: ring 3->0->3) < 200 ns.
// All figures are HOST time (emulator speed), not simulated guest time.
//
// usage: node benchmarks/host/targets.mjs results.json [--col tsxen]
//
// Figures are per-iteration medians on the kit's own timing basis for each
// column (the "basis" field of results.json: "inner" = BENCH start to BENCH
// done as the lines arrive, "net-wall" = process wall time minus the null
// image's).  When the emulator column was timed on "inner", its net-wall
// figure is shown beside it as a cross-check.
import fs from "node:fs";
import path from "node:path";

const args = process.argv.slice(2);
const file = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--col");
const colIdx = args.indexOf("--col");
const COL = colIdx >= 0 ? args[colIdx + 1] : "tsxen";
if (!file) { console.error("usage: targets.mjs results.json [--col NAME]"); process.exit(2); }
const data = JSON.parse(fs.readFileSync(file, "utf8"));

const median = (a) => {
    const s = [...a].sort((x, y) => x - y), n = s.length;
    return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};
const rowOf = (col, wl) => data.rows.find((r) => r.col === col && r.wl === wl) ?? null;

// Per-iteration host time (ns) of col/wl on a basis: "marker", "wall" or "kit".
function nsPerIter(col, wl, basis) {
    const row = rowOf(col, wl);
    if (!row || !row.ok) return null;
    if (basis === "kit") return row.ns_per_iter_med;
    const runs = data.results.filter((r) => r.col === col && r.wl === wl && r.ok);
    const t = (r) => basis === "marker" ? r.inner : r.wall - row.null_wall_med;
    const v = runs.filter((r) => t(r) !== null && t(r) > 0).map((r) => t(r) / r.iters * 1e9);
    return median(v);
}
function mips(col, wl, basis) {
    const row = rowOf(col, wl);
    const ns = nsPerIter(col, wl, basis);
    if (!row || ns === null || !row.insns || !row.iters) return null;
    return row.insns / row.iters / ns * 1e3;
}
function pagingOverhead(col, basis) {
    const p = nsPerIter(col, "paging", basis), c = nsPerIter(col, "coremark", basis);
    return p === null || c === null ? null : (p / c - 1) * 100;
}

const FIGURES = [
    { name: "coremark MIPS", target: ">= 100 MIPS", get: (c, b) => mips(c, "coremark", b), ok: (v) => v >= 100, fmt: (v) => v.toFixed(1) },
    { name: "sieve MIPS", target: ">= 100 MIPS", get: (c, b) => mips(c, "sieve", b), ok: (v) => v >= 100, fmt: (v) => v.toFixed(1) },
    { name: "paging overhead (paging/coremark per iter - 1)", target: "< 10 %", get: pagingOverhead, ok: (v) => v < 10, fmt: (v) => v.toFixed(1) + " %" },
    { name: "int80 round trip, ring 0->0 (int + iret)", target: "< 200 ns", get: (c, b) => nsPerIter(c, "int80", b), ok: (v) => v < 200, fmt: (v) => v.toFixed(0) + " ns" },
    { name: "int80u round trip, ring 3->0->3", target: "< 200 ns", get: (c, b) => nsPerIter(c, "int80u", b), ok: (v) => v < 200, fmt: (v) => v.toFixed(0) + " ns" },
];

const cols = [...new Set(data.rows.map((r) => r.col))];
if (!cols.includes(COL)) {
    process.stdout.write(`No column "${COL}" in ${file} (columns: ${cols.join(", ")}); no targets table.\n`);
    process.exit(0);
}
const scale = data.rows.find((r) => r.col === COL).scale;
const basis = data.rows.find((r) => r.col === COL && r.ok)?.basis ?? "-";
const others = cols.filter((c) => c !== COL);
const cell = (f, v) => v === null ? "n/a" : f.fmt(v);
const cross = basis === "inner";

let out = `| figure | target | ${COL} (${basis}) | verdict |${cross ? ` ${COL} (net-wall, check) |` : ""} ${others.join(" | ")} |\n`;
out += `|---|---|---|---|${cross ? "---|" : ""}${others.map(() => "---").join("|")}|\n`;
const verdicts = [];
let maxGap = 0;
for (const f of FIGURES) {
    const v = f.get(COL, "kit");
    const w = cross ? f.get(COL, "wall") : null;
    const verdict = v === null ? "not run" : f.ok(v) ? "**PASS**" : "**FAIL**";
    verdicts.push(verdict);
    // Marker time shorter than net wall time (rate higher) on the long
    // workloads: the CLI delivers BENCH start late (buffered output).
    if (v !== null && w !== null && f.name.endsWith("MIPS")) maxGap = Math.max(maxGap, v / w - 1);
    // Native twins run Linux system calls for int80*: not comparable, left out.
    const o = others.map((c) => c.startsWith("native") && f.name.startsWith("int80") ? "–" : cell(f, f.get(c, "kit")));
    out += `| ${f.name} | ${f.target} | ${cell(f, v)} | ${verdict} |${cross ? ` ${cell(f, w)} |` : ""} ${o.join(" | ")} |\n`;
}
const pass = verdicts.filter((v) => v === "**PASS**").length;
const run = verdicts.filter((v) => v !== "not run").length;
out += `\n${pass} of ${run} targets met (${COL} at scale ${scale}, ${data.meta.runs} run(s), ${data.meta.date}).\n`;
out += `All figures are host time: how fast each emulator runs the guest, not the guest's simulated time. ` +
    `Medians of per-iteration times on each column's timing basis (${COL}: ${basis}); the other columns are anchors at their own scales.\n`;
if (maxGap > 0.05)
    out += `Note: ${COL}'s inner (marker) rates exceed its net-wall rates by up to ${(maxGap * 100).toFixed(0)} %: it seems to deliver ` +
        `serial output late, so its marker times miss part of the workload. Prefer --tsxen-timing wall.\n`;
// Noise check: a native twin runs the same code for coremark and paging (the
// host twin does not page), so its ratio should be 1.
for (const c of others.filter((c) => c.startsWith("native"))) {
    const n = pagingOverhead(c, "kit");
    if (n !== null && Math.abs(n) > 10)
        out += `Warning: the machine was noisy during this run: ${c} took ${Math.abs(n).toFixed(0)} % ${n > 0 ? "longer" : "less"} on paging than on coremark ` +
            `although it runs the same code for both. The figures, the paging overhead above all, are unreliable: rerun with more rounds ` +
            `(--runs 3) on a quiet machine.\n`;
}
// Load check, from the env.txt that benchmarks/host/run.sh writes beside results.json.
try {
    const env = fs.readFileSync(path.join(path.dirname(file), "env.txt"), "utf8");
    const m = env.match(/load average .*?before: ([\d.]+) \S+ \S+, after: ([\d.]+) \S+ \S+ on (\d+) cpus/);
    if (m && (+m[1] > 0.75 * +m[3] || +m[2] > 0.5 * +m[3] + 1))
        out += `Warning: other work was running (load average ${m[1]} before, ${m[2]} after, on ${m[3]} cpus): ` +
            `every column is slowed unevenly; rerun on a quiet machine before trusting these figures.\n`;
} catch { /* no env.txt */ }
process.stdout.write(out);
