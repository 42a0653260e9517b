/**
 * The generated ABI headers (guests/include/xen/*.h) are what src/abi renders
 * today, and gcc -m32 agrees with every layout in them: the headers carry
 * _Static_asserts on each structure's size and member offsets, so compiling a
 * file that includes them re-checks the i386 layout with the real compiler.
 * Regenerate with `node scripts/gen-abi-headers.mjs` after changing src/abi.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { abiHeaders, renderCompound } from '../../src/abi/c-headers.js';
import { u32, type Compound } from '../../src/abi/layout.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const includeDir = join(root, 'guests', 'include');
const work = mkdtempSync(join(tmpdir(), 'tsxen-abi-'));
after(() => rmSync(work, { recursive: true, force: true }));

function gcc(file: string, text: string, extra: readonly string[] = []): { status: number | null; stderr: string } {
  const source = join(work, file);
  writeFileSync(source, text);
  const result = spawnSync(
    'gcc',
    ['-m32', '-ffreestanding', '-std=c11', '-Wall', '-Wextra', '-Werror', '-pedantic', '-I', includeDir, ...extra,
      '-c', source, '-o', `${source}.o`],
    { encoding: 'utf8' },
  );
  if (result.error) throw result.error;
  return { status: result.status, stderr: result.stderr };
}

describe('guests/include/xen', () => {
  it('holds exactly the headers src/abi renders, byte for byte', () => {
    const rendered = abiHeaders();
    const onDisk = readdirSync(join(includeDir, 'xen')).filter((f) => f.endsWith('.h')).sort();
    assert.deepEqual(onDisk, rendered.map((h) => h.name).sort(), 'run node scripts/gen-abi-headers.mjs');
    for (const h of rendered) {
      assert.equal(readFileSync(join(includeDir, 'xen', h.name), 'utf8'), h.text, `${h.name} is stale: run node scripts/gen-abi-headers.mjs`);
    }
  });

  it('compiles with gcc -m32 -ffreestanding: every _Static_assert on sizes and offsets holds', () => {
    const c = [
      '#include "xen/xen.h"',
      'unsigned long console_mfn(const struct start_info *si) { return si->console.domU.mfn; }',
      'unsigned char upcall_mask(const struct shared_info *s, int v) { return s->vcpu_info[v].evtchn_upcall_mask; }',
      'int hypercall_stub_offset(void) { return __HYPERVISOR_iret * HYPERCALL_PAGE_STUB_SIZE; }',
      '_Static_assert(sizeof(struct vcpu_guest_context) == 2800, "2800");',
      '_Static_assert(__builtin_offsetof(struct shared_info, arch.wc_sec_hi) == 2340, "wc_sec_hi");',
      '_Static_assert(__builtin_offsetof(struct evtchn_status, u.interdomain.port) == 20, "status.u");',
      '_Static_assert(__HYPERVISOR_event_channel_op == 32 && EVTCHNOP_send == 4 && XEN_ENOSYS == 38, "numbers");',
      '_Static_assert(HYPERVISOR_VIRT_START == 0xF5800000u && XEN_SLOT_L2_FIRST_HYPERVISOR_SLOT == 428, "layout");',
      '',
    ].join('\n');
    const result = gcc('abi.c', c);
    assert.equal(result.status, 0, result.stderr);
  });

  it('can be included from assembly (structures hidden behind __ASSEMBLER__)', () => {
    const s = ['#include "xen/xen.h"', 'mov $__HYPERVISOR_iret, %eax', 'mov $(HYPERCALL_PAGE_STUB_SIZE * __HYPERVISOR_sched_op), %ebx',
      'mov $GNTST_bad_page, %ecx', 'mov $FLAT_RING1_DS, %edx', ''].join('\n');
    const result = gcc('abi.S', s, ['-x', 'assembler-with-cpp']);
    assert.equal(result.status, 0, result.stderr);
  });

  it('a wrong offset in a rendered structure does fail to compile (the asserts are live)', () => {
    const wrong: Compound = {
      kind: 'struct', name: 'wrong_layout', size: 8, align: 4, section: 'test', header: 'test',
      fields: [{ name: 'a', type: u32, offset: 0, size: 4 }, { name: 'b', type: u32, offset: 6, size: 4 }],
    };
    const result = gcc('wrong.c', `#include <stdint.h>\n${renderCompound(wrong)}\n`);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /static assertion failed/);
  });
});
