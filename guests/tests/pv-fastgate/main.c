/*
 * pv-fastgate: software interrupts into the guest kernel (ABI §3.1, §4.1,
 * §4.4, §6.3, §6.4, §6.7).
 *
 *  - `int $0x80` with trap_ctxt[0x80] unregistered: #GP(0x402) at the int
 *    (XTF xsa-259), from ring 1 and from ring 3;
 *  - set_trap_table: 0x80 DPL 3 without "mask events", 0x81 DPL 3 with it,
 *    0x83 DPL 1;
 *  - `int $0x80` goes through the fast gate tsxen writes into the real IDT
 *    (the paper's §3.3 "fast exception handler", as 32-bit Xen 3 did it):
 *    the CPU itself delivers it to ring 1, so its frame is the hardware's —
 *    CS without a saved mask, the real EFLAGS (IF 1) — and the upcall mask
 *    is left as it was. Current (64-bit) Xen instead enters the hypervisor
 *    and builds a bounce frame with the saved mask in CS bits 23:16 and
 *    IF = !mask; the two agree whenever events are enabled. An iret
 *    hypercall from a fast-gate frame therefore unmasks events (IF 1);
 *  - `int $0x80` from ring 1: the handler gets EIP after the int, CS
 *    0xE019, no ESP/SS; it returns a new EAX through the iret hypercall;
 *  - from ring 3 (events masked, then enabled), three `int $0x80` round
 *    trips and one `int $0x81` (which the hypervisor bounces: §6.4 frame
 *    with the saved mask in CS bits 23:16 and IF = !saved mask): each
 *    frame sits at kernel_sp - 20 (the stack named by stack_switch) and
 *    holds EIP after the int, CS 0xE02B, IOPL 0, the ring-3 ESP and SS
 *    0xE033; 0x80 leaves the upcall mask alone, 0x81 sets it; the iret
 *    hypercall returns to ring 3 with the new EAX and sets the mask from
 *    the frame's IF (so after the first fast-gate round trip events are on);
 *  - 0x80 re-registered with "mask events": delivered with the mask set
 *    inside the handler;
 *  - `int $0x83` (DPL 1) from ring 3: #GP(0x41a).
 */
#include "pv.h"

const char test_title[] = "pv-fastgate: int $0x80 / int $0x81 from ring 3 and ring 1, iret hypercall";

void fg_int80_handler(void), fg_int81_handler(void), fg_ret_to_kernel(void);
long fg_ring1_int80(long eax);
void fg_exec_user(void (*fn)(void), unsigned eflags_if);
extern uint8_t fg_after_ring1_80[];
void fg_user_run(void);
void fg_user_one80(void);
extern uint8_t fg_after_80_1[], fg_after_80_2[], fg_after_80_3[], fg_after_81[], fg_after_80_4[];
extern volatile uint32_t fg_user_esp, fg_user_res[4];
extern uint8_t pv_ring1_stack_top[];

#define FG_VEC_RET 0x22
#define MAX_REC 8

struct rec {
    uint32_t vec, frame, eip, cs, eflags, esp, ss, eax, mask_inside;
};
static volatile struct rec recs[MAX_REC];
static volatile unsigned nrec, handler_calls;

/* Called by the handlers in gate.S with the bounce frame; returns the new EAX. */
uint32_t fg_record(const uint32_t *frame, uint32_t eax, uint32_t vec);
uint32_t fg_record(const uint32_t *frame, uint32_t eax, uint32_t vec)
{
    handler_calls++;
    if (nrec < MAX_REC) {
        volatile struct rec *r = &recs[nrec++];
        r->vec = vec;
        r->frame = (uint32_t)frame;
        r->eip = frame[0];
        r->cs = frame[1];
        r->eflags = frame[2];
        int user = (frame[1] & 3) == 3;
        r->esp = user ? frame[3] : 0;
        r->ss = user ? frame[4] : 0;
        r->eax = eax;
        r->mask_inside = ACCESS_ONCE(vcpu0()->evtchn_upcall_mask);
    }
    return eax + 0x100 * (vec - 0x7f);      /* 0x80: +0x100, 0x81: +0x200 */
}

static void __user_text user_int80(void)
{
    __asm__ volatile ("1: int $0x80\n\t2:\n\t" PV_EXTABLE("1b", "2b") ::: "memory");
}

static void __user_text user_int83(void)
{
    __asm__ volatile ("1: int $0x83\n\t2:\n\t" PV_EXTABLE("1b", "2b") ::: "memory");
}

static void ring1_int80_unregistered(void)
{
    __asm__ volatile ("1: int $0x80\n\t2:\n\t" PV_EXTABLE("1b", "2b") ::: "memory");
}

static void expect_gp(const char *name, unsigned err, unsigned cs)
{
    volatile struct pv_exc *e = &pv_last_exc;
    if (pv_exc_count != 1) {
        printf("%s: %u exceptions\n", name, pv_exc_count);
        xtf_failure("Fail: %s: want one #GP\n", name);
    } else {
        pv_print_exc(name);
        if (e->vector != 13 || e->error_code != err || e->cs != cs || e->saved_upcall_mask != 1 ||
            (e->eflags & X86_EFLAGS_IF) || (e->from_user && e->ss != FLAT_RING3_SS))
            xtf_failure("Fail: %s: want vec=13 err=%04x cs=%04x mask=1 if=0\n", name, err, cs);
    }
    pv_exc_count = 0;
}

static const char *eip_name(uint32_t eip)
{
    if (eip == (uint32_t)fg_after_80_1 || eip == (uint32_t)fg_after_80_2 ||
        eip == (uint32_t)fg_after_80_3 || eip == (uint32_t)fg_after_81 ||
        eip == (uint32_t)fg_after_80_4 || eip == (uint32_t)fg_after_ring1_80)
        return "after the int";
    return "elsewhere";
}

/* Print and check one recorded frame. */
/* `mask` is the saved mask a bounce frame carries; a fast-gate frame (direct) carries none and IF 1. */
static void show(const char *name, unsigned i, unsigned vec, uint32_t eip, uint32_t eax,
                 unsigned mask, int user, unsigned mask_inside, int direct)
{
    if (direct)
        mask = 0;
    if (i >= nrec) {
        printf("%s: handler not reached\n", name);
        xtf_failure("Fail: %s: handler not reached\n", name);
        return;
    }
    volatile struct rec *r = &recs[i];
    uint32_t want_cs = (mask << 16) | (user ? FLAT_RING3_CS : FLAT_RING1_CS);
    unsigned fif = (r->eflags & X86_EFLAGS_IF) ? 1 : 0, iopl = (r->eflags >> 12) & 3;
    printf("%s: vec=%02x eax=%u eip=%s cs=%08x if=%u iopl=%u", name, r->vec, r->eax,
           eip_name(r->eip), r->cs, fif, iopl);
    int ok = r->vec == vec && r->eax == eax && r->eip == eip && r->cs == want_cs &&
             fif == !mask && iopl == 0 && (r->eflags & 2) && r->mask_inside == mask_inside;
    if (user) {
        int at_ksp = r->frame == (uint32_t)pv_ring1_stack_top - 20;
        int esp_ok = r->esp == fg_user_esp;
        printf(" esp=%s ss=%08x frame=%s", esp_ok ? "user esp" : "other", r->ss,
               at_ksp ? "kernel_sp-20" : "elsewhere");
        ok &= at_ksp && esp_ok && r->ss == FLAT_RING3_SS;
    }
    printf(" mask inside=%u\n", r->mask_inside);
    if (!ok)
        xtf_failure("Fail: %s: want vec=%02x eax=%u eip after the int cs=%08x if=%u iopl=0%s"
                    " mask inside=%u\n", name, vec, eax, want_cs, !mask,
                    user ? " esp=user esp ss=0000e033 frame=kernel_sp-20" : "", mask_inside);
}

static void run_user(const char *what, unsigned eflags_if, unsigned mask)
{
    nrec = 0;
    for (int i = 0; i < 4; i++)
        fg_user_res[i] = 0;
    fg_exec_user(fg_user_run, eflags_if);
    printf("ring 3 with events %s: results %x %x %x %x\n", what, fg_user_res[0], fg_user_res[1],
           fg_user_res[2], fg_user_res[3]);
    if (fg_user_res[0] != 0x101 || fg_user_res[1] != 0x102 || fg_user_res[2] != 0x103 ||
        fg_user_res[3] != 0x204)
        xtf_failure("Fail: want results 101 102 103 204\n");
    /* the first fast-gate iret unmasks events (its frame has IF 1): later entries see mask 0 */
    show(" int $0x80 #1", 0, 0x80, (uint32_t)fg_after_80_1, 1, mask, 1, mask, 1);
    show(" int $0x80 #2", 1, 0x80, (uint32_t)fg_after_80_2, 2, 0, 1, 0, 1);
    show(" int $0x80 #3", 2, 0x80, (uint32_t)fg_after_80_3, 3, 0, 1, 0, 1);
    show(" int $0x81", 3, 0x81, (uint32_t)fg_after_81, 4, 0, 1, 1, 0);
    if (nrec != 4)
        xtf_failure("Fail: %u handler entries, want 4\n", nrec);
}

void test_main(void)
{
    check_rc("set_trap_table", pv_setup_traps(), 0);
    check_rc("map shared_info", pv_map_shared_info(), 0);
    check_rc("set_callbacks", pv_setup_callbacks(), 0);
    check_rc("map the user pages", pv_setup_user(), 0);
    static const struct trap_info ret_vec[] = {
        { FG_VEC_RET, 3 | TRAP_INFO_MASK_EVENTS, FLAT_RING1_CS, (uint32_t)fg_ret_to_kernel },
        { 0, 0, 0, 0 },
    };
    check_rc("set_trap_table(0x22 DPL 3: return from ring 3)", hypercall_set_trap_table(ret_vec), 0);

    /* 1. Vector 0x80 not registered: #GP(0x80 << 3 | 2) at the int. */
    pv_exc_count = 0;
    ring1_int80_unregistered();
    expect_gp("int $0x80 from ring 1, 0x80 not registered", 0x402, FLAT_RING1_CS);
    fg_exec_user(user_int80, 0);
    expect_gp("int $0x80 from ring 3, 0x80 not registered", 0x402, FLAT_RING3_CS);
    if (handler_calls)
        xtf_failure("Fail: a handler ran for an unregistered vector\n");

    /* 2. Register 0x80 (DPL 3), 0x81 (DPL 3, mask events), 0x83 (DPL 1). */
    static const struct trap_info gates[] = {
        { 0x80, 3, FLAT_RING1_CS, (uint32_t)fg_int80_handler },
        { 0x81, 3 | TRAP_INFO_MASK_EVENTS, FLAT_RING1_CS, (uint32_t)fg_int81_handler },
        { 0x83, 1, FLAT_RING1_CS, (uint32_t)fg_int81_handler },
        { 0, 0, 0, 0 },
    };
    check_rc("set_trap_table(0x80 DPL 3, 0x81 DPL 3 + mask events, 0x83 DPL 1)",
             hypercall_set_trap_table(gates), 0);

    /* 3. int $0x80 at ring 1 (events masked): frame without ESP/SS. */
    nrec = 0;
    long r = fg_ring1_int80(7);
    printf("int $0x80 from ring 1: eax 7 -> 0x%lx\n", r);
    if (r != 0x107)
        xtf_failure("Fail: want 0x107\n");
    show(" frame", 0, 0x80, (uint32_t)fg_after_ring1_80, 7, 1, 0, 1, 1);
    printf("upcall mask after the iret: %u\n", vcpu0()->evtchn_upcall_mask);
    if (vcpu0()->evtchn_upcall_mask != 0)
        xtf_failure("Fail: want 0 (the fast-gate frame has IF 1)\n");
    vcpu0()->evtchn_upcall_mask = 1;

    /* 4. Ring 3 with events masked (upcall mask 1 throughout). */
    run_user("masked", 0, 1);

    /*
     * 5. Ring 3 with events enabled: mask every port and forget anything
     * pending first, so that no upcall can become deliverable.
     */
    for (unsigned i = 0; i < EVTCHN_2L_WORDS; i++)
        ACCESS_ONCE(shared_info->evtchn_mask[i]) = ~0u;
    ACCESS_ONCE(vcpu0()->evtchn_upcall_pending) = 0;
    __atomic_exchange_n(&vcpu0()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    run_user("enabled", X86_EFLAGS_IF, 0);
    printf("upcall mask back at ring 1: %u\n", vcpu0()->evtchn_upcall_mask);
    if (vcpu0()->evtchn_upcall_mask != 1)
        xtf_failure("Fail: want 1 (int $0x22 masks events)\n");

    /*
     * 6. 0x80 re-registered with "mask events": still delivered (now
     * through the hypervisor), the mask set inside the handler.
     */
    static const struct trap_info gate80_mask[] = {
        { 0x80, 3 | TRAP_INFO_MASK_EVENTS, FLAT_RING1_CS, (uint32_t)fg_int80_handler },
        { 0, 0, 0, 0 },
    };
    check_rc("set_trap_table(0x80 DPL 3 + mask events)", hypercall_set_trap_table(gate80_mask), 0);
    nrec = 0;
    fg_user_res[0] = 0;
    fg_exec_user(fg_user_one80, X86_EFLAGS_IF);
    printf("ring 3 with events enabled: int $0x80 eax 5 -> 0x%x\n", fg_user_res[0]);
    if (fg_user_res[0] != 0x105)
        xtf_failure("Fail: want 0x105\n");
    show(" int $0x80", 0, 0x80, (uint32_t)fg_after_80_4, 5, 0, 1, 1, 0);

    /* 7. DPL 1 vector from ring 3. */
    pv_exc_count = 0;
    unsigned before = handler_calls;
    fg_exec_user(user_int83, 0);
    expect_gp("int $0x83 (DPL 1) from ring 3", 0x41a, FLAT_RING3_CS);
    if (handler_calls != before)
        xtf_failure("Fail: the 0x83 handler ran\n");

    printf("handler entries in total: %u\n", handler_calls);
    if (handler_calls != 10)
        xtf_failure("Fail: want 10\n");

    xtf_success(NULL);
}
