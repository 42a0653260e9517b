/*
 * pv-traps: the virtual IDT (ABI §4.1, §6.3) and the bounce frame (§6.4).
 * Each fault is caught by the library's handler through the exception
 * table, whose fault address also proves the frame's EIP (the faulting
 * instruction for faults, the next instruction for INT3).
 *
 *  - #PF reading VA 0 after update_va_mapping(0, 0): error code 0 (kernel
 *    read, not present), CR2 0 in vcpu_info.arch.cr2 (ABI §5.11);
 *  - #PF writing unmapped 0x40001234: error code 2, CR2 0x40001234;
 *  - #PF writing the L3 (page tables are mapped read-only): error code 3;
 *  - INT3 at ring 1 -> #BP, trap-style EIP;
 *  - `int $0x82` at ring 3 -> #GP(0x412) with the ring-3 frame (ABI §3.1).
 * Events stay masked throughout: every frame shows mask=1, IF=0.
 */
#include "pv.h"

const char test_title[] = "pv-traps: set_trap_table, #PF and CR2, int $0x82 from ring 3, int3";

static uint32_t probe_read(uint32_t addr)
{
    uint32_t val = 0xdeadbeef;
    __asm__ volatile ("1: movl (%[a]), %[v]\n\t"
                      "2:\n\t"
                      PV_EXTABLE("1b", "2b")
                      : [v] "+r" (val) : [a] "r" (addr) : "memory");
    return val;
}

static void probe_write(uint32_t addr)
{
    __asm__ volatile ("1: movl $0x5a5a5a5a, (%[a])\n\t"
                      "2:\n\t"
                      PV_EXTABLE("1b", "2b")
                      :: [a] "r" (addr) : "memory");
}

static void probe_int3(void)
{
    __asm__ volatile ("int3\n\t"
                      "1:\n\t"
                      PV_EXTABLE("1b", "1b")     /* #BP is a trap: EIP after the INT3 */
                      ::: "memory");
}

/* Runs at ring 3: the #GP's EIP is the `int $0x82` itself. */
static void __user_text user_int82(void)
{
    __asm__ volatile ("1: int $0x82\n\t"
                      "2:\n\t"
                      PV_EXTABLE("1b", "2b")
                      ::: "memory");
}

/*
 * Print the frame as pv_print_exc does ("vec=14 err=0002 cr2=... cs=e019
 * mask=1 if=0 [ss=e033]"), CR2 by name when it is an address that depends
 * on the memory layout, and check it.
 */
static void expect(const char *name, unsigned vec, unsigned err, uint32_t cr2,
                   const char *cr2_name, unsigned cs)
{
    volatile struct pv_exc *e = &pv_last_exc;
    int has_err = vec == 13 || vec == 14;
    int ok = pv_exc_count == 1 && e->vector == vec && e->cs == cs &&
             e->saved_upcall_mask == 1 && !(e->eflags & X86_EFLAGS_IF) &&
             (!has_err || e->error_code == err) && (vec != 14 || e->cr2 == cr2);
    if (pv_exc_count != 1) {
        printf("%s: %u exceptions\n", name, pv_exc_count);
    } else {
        char c2[24] = "";
        if (vec == 14) {
            if (cr2_name && e->cr2 == cr2)
                snprintf(c2, sizeof(c2), " cr2=%s", cr2_name);
            else
                snprintf(c2, sizeof(c2), " cr2=%08x", e->cr2);
        }
        char er[16] = "";
        if (has_err)
            snprintf(er, sizeof(er), " err=%04x", e->error_code);
        char ss[16] = "";
        if (e->from_user)
            snprintf(ss, sizeof(ss), " ss=%04x", e->ss);
        printf("%s: vec=%u%s%s cs=%04x mask=%u if=%u%s\n", name, e->vector, er, c2, e->cs,
               e->saved_upcall_mask, (e->eflags & X86_EFLAGS_IF) ? 1 : 0, ss);
    }
    if (!ok)
        xtf_failure("Fail: %s: want vec=%u err=%04x cr2=%08x cs=%04x mask=1 if=0\n",
                    name, vec, err, cr2, cs);
    pv_exc_count = 0;
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);

    check_rc("update_va_mapping(NULL, 0, UVMF_INVLPG)",
             hypercall_update_va_mapping(NULL, 0, UVMF_INVLPG), 0);

    pv_exc_count = 0;
    probe_read(0);
    expect("#PF reading NULL", 14, 0x0000, 0, NULL, FLAT_RING1_CS);

    probe_write(0x40001234);
    expect("#PF writing 0x40001234", 14, 0x0002, 0x40001234, NULL, FLAT_RING1_CS);

    probe_write(start_info->pt_base);
    expect("#PF writing the L3", 14, 0x0003, start_info->pt_base, "pt_base", FLAT_RING1_CS);

    probe_int3();
    expect("#BP int3", 3, 0, 0, NULL, FLAT_RING1_CS);

    check_rc("map the user pages", pv_setup_user(), 0);
    pv_exec_user(user_int82);
    expect("#GP int $0x82 from ring 3", 13, HYPERCALL_PAGE_RING3_GP_ERROR_CODE, 0, NULL,
           FLAT_RING3_CS);
    if (pv_last_exc.ss != FLAT_RING3_SS)
        xtf_failure("Fail: ring-3 frame SS %04x, want %04x\n", pv_last_exc.ss, FLAT_RING3_SS);

    xtf_success(NULL);
}
