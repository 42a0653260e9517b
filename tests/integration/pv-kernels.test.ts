/**
 * Every PV test kernel under guests/tests/pv-* (issue 3): its console ring
 * (stdout) equals expected.txt and the status is 0, with the frame-table
 * invariants checked after every MMU hypercall (TSXEN_CHECK_INVARIANTS=1: a
 * violation would crash the domain). info.json may give `args` for
 * `tsxen run` (e.g. ["--vcpus", "2"]). Then two domains side by side:
 * each console line carries its domain's name, and each domain's lines, in
 * order, are its expected.txt. Needs `make -C guests`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tsxen = join(root, 'bin', 'tsxen');
const elfOf = (name: string): string => join(root, 'guests', 'build', 'tests', `${name}.elf`);
const expectedOf = (name: string): string => readFileSync(join(root, 'guests', 'tests', name, 'expected.txt'), 'utf8');

interface Info { runs?: string[]; args?: string[] }
const kernels = readdirSync(join(root, 'guests', 'tests')).filter((n) => n.startsWith('pv-') && existsSync(join(root, 'guests', 'tests', n, 'expected.txt'))).sort();

test('the PV kernels are built', () => {
  assert.ok(kernels.length >= 5);
  for (const name of kernels) assert.ok(existsSync(elfOf(name)), `${name}.elf missing: run make -C guests`);
});

for (const name of kernels) {
  const info = JSON.parse(readFileSync(join(root, 'guests', 'tests', name, 'info.json'), 'utf8')) as Info;
  test(`tsxen run ${name}.elf ${(info.args ?? []).join(' ')}: stdout equals expected.txt, status 0, invariants hold`, () => {
    const r = spawnSync(tsxen, ['run', elfOf(name), '--timeout', '60', ...(info.args ?? [])], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, TSXEN_CHECK_INVARIANTS: '1' },
    });
    assert.equal(r.stdout, expectedOf(name), r.stderr);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /crashed/);
  });
}

test('tsxen run pv-events.elf pv-mmu.elf: two domains side by side, each console line prefixed, each stream intact', () => {
  const r = spawnSync(tsxen, ['run', elfOf('pv-events'), elfOf('pv-mmu'), '--timeout', '60', '--stats'], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, TSXEN_CHECK_INVARIANTS: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  for (const [prefix, name] of [['pv-events: ', 'pv-events'], ['pv-mmu: ', 'pv-mmu']] as const) {
    const mine = lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
    assert.deepEqual(mine, expectedOf(name).trimEnd().split('\n'));
  }
  assert.equal(lines.filter((l) => !l.startsWith('pv-events: ') && !l.startsWith('pv-mmu: ')).length, 0);
  // both domains' hypercalls were counted separately and the CPU switched between them
  assert.match(r.stderr, /pv-events \(d1\) hypercalls .*event_channel_op/);
  assert.match(r.stderr, /pv-mmu \(d2\) hypercalls .*mmu_update/);
  const switches = Number(/context switches\s+(\d+)/.exec(r.stderr)?.[1]);
  assert.ok(switches >= 2, `context switches ${switches}`);
});
