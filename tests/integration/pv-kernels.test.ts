/**
 * PV test kernels (issue 4): pv-hypercalls (xen_version, −ENOSYS, sched_op),
 * pv-mmu (mmu_update, update_va_mapping, mmuext_op TLB ops), pv-traps
 * (set_trap_table, bounce frames, CR2, iret; src/hv/pv/traps.ts) and
 * pv-events (VIRQ_TIMER, set_timer_op, SCHEDOP_block, the event upcall;
 * src/hv/pv/hypervisor.ts). Each run's
 * console ring (stdout) equals expected.txt and the status is 0, with the
 * frame-table invariants checked after every MMU hypercall
 * (TSXEN_CHECK_INVARIANTS=1: a violation would crash the domain). Needs
 * `make -C guests`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

for (const name of ['pv-hypercalls', 'pv-mmu', 'pv-traps', 'pv-events']) {
  const elf = join(root, 'guests', 'build', 'tests', `${name}.elf`);
  test(`tsxen run ${name}.elf: stdout equals expected.txt, status 0, invariants hold`, { skip: !existsSync(elf) && 'guests not built' }, () => {
    const r = spawnSync(join(root, 'bin', 'tsxen'), ['run', elf, '--timeout', '60'], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, TSXEN_CHECK_INVARIANTS: '1' },
    });
    const expected = readFileSync(join(root, 'guests', 'tests', name, 'expected.txt'), 'utf8');
    assert.equal(r.stdout, expected, r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /crashed/);
  });
}
