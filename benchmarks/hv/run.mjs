#!/usr/bin/env node
// Hypervisor overhead benchmark (issue 3): runs the benchmark kernels of
// guests/bench/ on tsxen, times each loop between its BENCH start/done lines
// as they arrive on stdout (host time), takes the simulated cycles the guest
// read from its TSC (simulated time), and writes a markdown report.
// benchmarks/hv/run.sh builds everything and calls this; see README.md.
//
//   node benchmarks/hv/run.mjs --tsxen PATH --kernels DIR --costs FILE
//        [--runs N] [--scale P] [--out FILE.md] [--latest FILE.md] [--command TEXT]
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpus, loadavg } from "node:os";
import { pathToFileURL } from "node:url";

const opt = { runs: 3, scale: 100, out: null, latest: null, tsxen: null, kernels: null, costs: null, command: "" };
for (let i = 2; i < process.argv.length; i += 2) {
    const k = process.argv[i].replace(/^--/, ""), v = process.argv[i + 1];
    if (!(k in opt) || v === undefined) { console.error(`run.mjs: bad argument ${process.argv[i]}`); process.exit(2); }
    opt[k] = k === "runs" || k === "scale" ? Number(v) : v;
}
for (const k of ["tsxen", "kernels", "costs"]) if (!opt[k]) { console.error(`run.mjs: --${k} is required`); process.exit(2); }
const log = (s) => process.stderr.write(s + "\n");

// ------------------------------------------------------------ what runs
// Each image set is one `tsxen run`; `ok` is its expected exit status
// (PV: 0 = every domain powered off; Multiboot: 1 = exit_qemu(0)).
const IMAGES = [
    { id: "pv", files: ["pv-bench.elf"], ok: 0 },
    { id: "evtchn", files: ["pv-bench-ping.elf", "pv-bench-pong.elf"], ok: 0 },
    { id: "native", files: ["native-bench.elf"], ok: 1 },
];

// Table rows: the PV loop, what one op is, its bare-metal twin.
const ROWS = [
    { name: "hypercall", hv: "1", what: "null hypercall: `xen_version(XENVER_version)` via the hypercall page (`int $0x82`)", twin: "native_trap" },
    { name: "mmu_update_b1", hv: "1", what: "`mmu_update`, 1 L1 entry per call (one op = one entry)", twin: "native_pte_b1" },
    { name: "mmu_update_b8", hv: "1/8", what: "`mmu_update`, 8 L1 entries per call (per entry)", twin: "native_pte_b8" },
    { name: "mmu_update_b64", hv: "1/64", what: "`mmu_update`, 64 L1 entries per call (per entry)", twin: "native_pte_b64" },
    { name: "pf_bounce", hv: "2", what: "#PF at ring 1 bounced to a minimal guest handler, iret hypercall back", twin: "native_pf" },
    { name: "pf_bounce_lib", hv: "2", what: "the same #PF through the PV library's C handler and `PV_EXTABLE`", twin: "native_pf" },
    { name: "int80_fast", hv: "1", what: "`int $0x80` from ring 3 via the fast gate (DPL 3, no mask-events flag), iret hypercall back", twin: "native_int80" },
    { name: "int80_fast_iret", hv: "0", what: "`int $0x80` via the fast gate, native `iret` back to ring 3 (no hypervisor entry)", twin: "native_int80" },
    { name: "int81_slow", hv: "2", what: "`int $0x81` from ring 3, entry with the mask-events flag: #GP into the hypervisor, bounce, iret hypercall", twin: "native_int80" },
    { name: "evtchn_rtt", hv: "6", what: "event round trip between two domains: send, block, peer's upcall, send back, block, upcall", twin: null },
];
const NATIVE_ROWS = [
    { name: "native_trap", what: "`call` of a hypercall-page-shaped stub at ring 1, `int $0x30` to a ring-0 `iret`" },
    { name: "native_pte_b1", what: "1 direct 64-bit PTE store per loop pass (per entry)" },
    { name: "native_pte_b8", what: "8 direct PTE stores per pass (per entry)" },
    { name: "native_pte_b64", what: "64 direct PTE stores per pass (per entry)" },
    { name: "native_pf", what: "#PF at ring 0, ring-0 handler skips the load, `iret`" },
    { name: "native_int80", what: "`int $0x80` from ring 3 to a ring-0 `iret`" },
];

// ------------------------------------------------------------ one run
function runOnce(img, round) {
    return new Promise((resolve) => {
        const args = ["run", ...img.files.map((f) => join(opt.kernels, f)), "--stats", "--cmdline", `scale=${opt.scale}`, "--timeout", "600"];
        const t0 = performance.now();
        const child = spawn(opt.tsxen, args, { stdio: ["ignore", "pipe", "pipe"] });
        const starts = new Map(), loops = new Map(), lines = [];
        let buf = "", err = "";
        const onLine = (raw) => {
            const now = performance.now();
            const line = raw.replace(/^[\w.'-]+: (?=BENCH )/, "");   // "<domain>: " when several run
            lines.push(raw);
            let m;
            if ((m = line.match(/^BENCH (\S+) start$/))) starts.set(m[1], now);
            else if ((m = line.match(/^BENCH (\S+) done n=(\d+) cycles=(\d+) per_op=/)) && starts.has(m[1])) {
                loops.set(m[1], { n: +m[2], cycles: +m[3], hostMs: now - starts.get(m[1]) });
            }
        };
        child.stdout.on("data", (d) => {
            buf += d.toString("latin1");
            let k;
            while ((k = buf.indexOf("\n")) >= 0) { onLine(buf.slice(0, k)); buf = buf.slice(k + 1); }
        });
        child.stderr.on("data", (d) => { err += d.toString("latin1"); });
        child.on("close", (code) => {
            if (buf) onLine(buf);
            const wall = (performance.now() - t0) / 1000;
            const stats = err.split("\n").filter((l) => l.startsWith("tsxen: "));
            const problems = [];
            if (code !== img.ok) problems.push(`exit status ${code}, want ${img.ok}`);
            if (img.ok === 0 && lines.filter((l) => /Test result: SUCCESS$/.test(l)).length !== img.files.length)
                problems.push("not every domain printed Test result: SUCCESS");
            if (lines.some((l) => /FAIL|PANIC|UNEXPECTED/.test(l))) problems.push(lines.filter((l) => /FAIL|PANIC|UNEXPECTED/.test(l)).join(" | "));
            // The fast gate must keep int $0x80 out of the hypervisor: no bounce of vector 128.
            const bounced = stats.find((l) => / bounced /.test(l) && /pv-bench \(d1\)/.test(l));
            if (img.id === "pv" && (!bounced || / 128:\d+/.test(bounced))) problems.push(`int $0x80 was bounced by the hypervisor: ${bounced}`);
            log(`round ${round} ${img.id.padEnd(6)} ${wall.toFixed(2)} s${problems.length ? "  PROBLEM: " + problems.join("; ") : ""}`);
            resolve({ loops, stats, wall, problems, stderrTail: err.slice(-1500) });
        });
    });
}

// ------------------------------------------------------------ figures
const median = (a) => { const s = [...a].sort((x, y) => x - y), k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
const f = (x, d = 0) => x === undefined || x === null || Number.isNaN(x) ? "–" : x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d });
const sig = (x) => x >= 100 ? f(x, 0) : x >= 10 ? f(x, 1) : f(x, 2);

const costs = (await import(pathToFileURL(opt.costs).href)).XEON_2400;
const hz = costs.hz;
const load0 = loadavg().map((x) => x.toFixed(2)).join(" ");
const results = new Map();               // loop name -> { n, cycles: Set, hostNs: [] }
const allStats = new Map();
const problems = [];
for (let round = 1; round <= opt.runs; round++) {
    for (const img of IMAGES) {
        const r = await runOnce(img, round);
        problems.push(...r.problems.map((p) => `round ${round} ${img.id}: ${p}`));
        if (r.problems.length) log(r.stderrTail);
        allStats.set(img.id, r.stats);
        for (const [name, l] of r.loops) {
            const e = results.get(name) ?? { n: l.n, cyclesPerOp: [], hostNs: [] };
            e.cyclesPerOp.push(l.cycles / l.n);
            e.hostNs.push(l.hostMs * 1e6 / l.n);
            results.set(name, e);
        }
    }
}
const load1 = loadavg().map((x) => x.toFixed(2)).join(" ");

function fig(name) {
    const e = results.get(name);
    if (!e) return null;
    const cyc = median(e.cyclesPerOp);
    const deterministic = e.cyclesPerOp.every((c) => c === e.cyclesPerOp[0]);
    return { n: e.n, cyc, simNs: cyc / hz * 1e9, host: median(e.hostNs), hostMin: Math.min(...e.hostNs), hostMax: Math.max(...e.hostNs), deterministic };
}
const hostCell = (x) => x ? `${sig(x.host)} (${sig(x.hostMin)}–${sig(x.hostMax)})` : "–";

// ------------------------------------------------------------ report
const stamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
const md = [];
md.push(`# Hypervisor overheads: simulated cycles and host time per operation`, "");
md.push(`- Date: ${stamp} (UTC)`);
md.push(`- Command: \`${opt.command || "node benchmarks/hv/run.mjs"}\``);
md.push(`- Runs: ${opt.runs} of each kernel, iteration scale ${opt.scale} % (\`--cmdline scale=${opt.scale}\`)`);
md.push(`- Machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, node ${process.version}; load average before ${load0}, after ${load1}`);
md.push(`- Cost profile: ${costs.name}, ${hz / 1e9} GHz (interrupt ${costs.interrupt}, iret ${costs.iret}, hostTransition ${costs.hostTransition}, pageWalk ${costs.pageWalk} cycles)`);
md.push(`- Status: ${problems.length ? "**problems**: " + problems.join("; ") : "all runs ok; int $0x80 through the fast gate was never bounced by the hypervisor (--stats)"}`);
md.push("");
md.push("Simulated cycles/op are read by the guest from its TSC (the emulated TSC counts simulated cycles) around the loop;");
md.push("they are deterministic and identical in every run" + ([...results.keys()].every((k) => fig(k).deterministic) ? "" : " (**except where marked ≠**)") + ".");
md.push("Simulated ns/op = cycles / " + hz / 1e9 + " GHz. Host ns/op is the wall time between the `BENCH start` and `BENCH done` lines");
md.push("as they arrive from `tsxen run`, divided by N: median of the runs, (min–max). The overhead ratio is PV simulated cycles / native simulated cycles.");
md.push("");
md.push("## PV guest (tsxen hypervisor) against the bare-metal twin");
md.push("");
md.push("| operation | hypervisor entries/op | N | sim cycles/op | sim ns/op | host ns/op | native twin | native sim cycles/op | overhead (sim) | native host ns/op | overhead (host) |");
md.push("|---|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|");
for (const row of ROWS) {
    const p = fig(row.name), t = row.twin ? fig(row.twin) : null;
    if (!p) { md.push(`| ${row.name} | ${row.hv} | – | missing | | | | | | | |`); continue; }
    md.push(`| \`${row.name}\`: ${row.what} | ${row.hv} | ${f(p.n)} | ${f(p.cyc, 2)}${p.deterministic ? "" : " ≠"} | ${f(p.simNs, 1)} | ${hostCell(p)} | ${t ? "`" + row.twin + "`" : "none"} | ${t ? f(t.cyc, 2) : "–"} | ${t ? f(p.cyc / t.cyc, 2) + "×" : "–"} | ${t ? sig(t.host) : "–"} | ${t ? f(p.host / t.host, 1) + "×" : "–"} |`);
}
md.push("");
md.push("Hypervisor entries/op: traps into the hypervisor per operation by design (hypercalls, faults and #GPs it handles), checked");
md.push("against the `--stats` counters below; `evtchn_rtt` also has 2 domain switches (2 sends, 2 blocks, 2 iret hypercalls).");
const b = [1, 8, 64].map((k) => fig(`mmu_update_b${k}`));
if (b.every(Boolean)) {
    const call = b.map((x, i) => x.cyc * [1, 8, 64][i]);
    md.push(`Simulated cycles per \`mmu_update\` call: ${call.map((c, i) => `${f(c, 1)} (${[1, 8, 64][i]} ${i ? "entries" : "entry"})`).join(", ")};`);
    md.push(`the marginal cost of one more entry is ${f((call[2] - call[0]) / 63, 2)} cycles.`);
}
md.push("");
md.push("## Bare-metal twins (Multiboot kernel on the same emulated PC, no hypervisor)");
md.push("");
md.push("| operation | N | sim cycles/op | sim ns/op | host ns/op |");
md.push("|---|--:|--:|--:|--:|");
for (const row of NATIVE_ROWS) {
    const p = fig(row.name);
    if (!p) { md.push(`| ${row.name} | – | missing | | |`); continue; }
    md.push(`| \`${row.name}\`: ${row.what} | ${f(p.n)} | ${f(p.cyc, 2)}${p.deterministic ? "" : " ≠"} | ${f(p.simNs, 1)} | ${hostCell(p)} |`);
}
md.push("");
md.push("## Hypervisor counters of the last run (`tsxen run --stats`)");
md.push("");
for (const [id, stats] of allStats) {
    md.push(`${id}:`, "", "```", ...stats, "```", "");
}
const text = md.join("\n");
if (opt.out) writeFileSync(opt.out, text);
if (opt.latest) writeFileSync(opt.latest, text);
process.stdout.write(text);
process.exit(problems.length ? 1 : 0);
