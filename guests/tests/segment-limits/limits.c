/*
 * segment-limits (oracle "sdm"): limit and type checks on every memory
 * access, which QEMU TCG omits (docs/qemu-deviations.md). expected.txt is
 * written from the Intel SDM:
 *
 *  - Vol. 3 §5.3 "Limit checking": an access is valid if every byte of it,
 *    offset .. offset+size-1, lies within [0, limit] (expand-up) or
 *    [limit+1, 0xFFFF or 0xFFFFFFFF per B] (expand-down); G=1 scales the
 *    limit to (limit << 12) | 0xFFF. Violations: #GP(0), or #SS(0) for
 *    accesses through SS (pushes, ESP/EBP-based addressing).
 *  - Vol. 3 §5.4 / §5.5 and Vol. 2 "MOV": writing a read-only data or any
 *    code segment, reading an execute-only code segment, or using a null
 *    selector in DS/ES/FS/GS for a memory access -> #GP(0).
 *  - Vol. 2 "JMP": a target EIP beyond the CS limit -> #GP(0) at the JMP;
 *    instruction fetch running past the limit -> #GP(0) with EIP at the first
 *    byte beyond the limit (Vol. 3 §5.3).
 *  - Vol. 2 "REP STOS": a faulting iteration leaves the completed ones done.
 */
#include "test.h"
#include "limits.h"

volatile uint32_t at_insn, at_next;
#define AT(insn) AT_PRE("", insn)
/* pre runs after the label stores (which go through DS), right before insn */
#define AT_PRE(pre, insn) "movl $1f, at_insn\n\tmovl $2f, at_next\n\t" pre "\n1:\t" insn "\n2:\n\t"

static void report(const char *name, int faulted)
{
    if (!faulted) {
        printf("lim %s ok\n", name);
        return;
    }
    const char *where = last_exc.eip == at_insn ? "insn" : last_exc.eip == at_next ? "next" : "other";
    printf("lim %s vec=%u err=%04x eip=%s\n", name, last_exc.vector, last_exc.error, where);
}

#define CHECK(name, ...) do {                                   \
        volatile int _f = 0;                                    \
        TRY { __VA_ARGS__; } CATCH { _f = 1; }                  \
        report(name, _f);                                       \
    } while (0)

/* one access through ES = sel at offset off; restores ES */
#define ES_LOAD(width, sel, off) \
    __asm__ volatile("movw %w0, %%es\n\t" AT("mov" width " %%es:(%1), %%eax") "movw %w2, %%es" \
                     :: "r"(sel), "r"(off), "r"(SEL_DATA0) : "eax", "memory")
#define ES_STORE(width, sel, off) \
    __asm__ volatile("movw %w0, %%es\n\t" AT("mov" width " %%eax, %%es:(%1)") "movw %w2, %%es" \
                     :: "r"(sel), "r"(off), "r"(SEL_DATA0) : "eax", "memory")
#define BYTE "zbl"
#define DWORD "l"

extern char lim_page_a[], lim_jmp_entry[], lim_fall_entry[], lim_page_b[];
uint32_t stack_op(uint32_t which);

static void data_limits(void)
{
    uint16_t byte = SELX(L_BYTE, 0), page = SELX(L_PAGE, 0), down = SELX(L_DOWN, 0),
             down16 = SELX(L_DOWN16, 0);
    CHECK("byte-gran read32 @ffc", ES_LOAD(DWORD, byte, 0xFFC));
    CHECK("byte-gran read32 @ffd", ES_LOAD(DWORD, byte, 0xFFD));
    CHECK("byte-gran read8 @fff", ES_LOAD(BYTE, byte, 0xFFF));
    CHECK("byte-gran read8 @1000", ES_LOAD(BYTE, byte, 0x1000));
    CHECK("byte-gran write32 @1000", ES_STORE(DWORD, byte, 0x1000));
    CHECK("byte-gran write32 @ffe", ES_STORE(DWORD, byte, 0xFFE));
    CHECK("page-gran read8 @fff", ES_LOAD(BYTE, page, 0xFFF));
    CHECK("page-gran read8 @1000", ES_LOAD(BYTE, page, 0x1000));
    CHECK("expand-down read8 @fff", ES_LOAD(BYTE, down, 0xFFF));
    CHECK("expand-down read8 @0", ES_LOAD(BYTE, down, 0));
    CHECK("expand-down read8 @1000", ES_LOAD(BYTE, down, 0x1000));
    CHECK("expand-down read32 @ffe", ES_LOAD(DWORD, down, 0xFFE));
    CHECK("expand-down read32 @fffffffc", ES_LOAD(DWORD, down, 0xFFFFFFFC));
    CHECK("expand-down-16 read32 @fffc", ES_LOAD(DWORD, down16, 0xFFFC));
    CHECK("expand-down-16 read32 @fffd", ES_LOAD(DWORD, down16, 0xFFFD));
    CHECK("expand-down-16 read8 @10000", ES_LOAD(BYTE, down16, 0x10000));
}

static volatile uint32_t cell;

static void access_rights(void)
{
    uint32_t p = (uint32_t)&cell;
    CHECK("null-ds read", __asm__ volatile(
        AT_PRE("movw %w0, %%ds", "movl (%1), %%eax") "movw %w2, %%ds"
        :: "r"(0), "r"(p), "r"(SEL_DATA0) : "eax", "memory"));
    CHECK("null-fs read", __asm__ volatile(
        "movw %w0, %%fs\n\t" AT("movl %%fs:(%1), %%eax") :: "r"(0), "r"(p) : "eax", "memory"));
    CHECK("null-gs-rpl3 write", __asm__ volatile(
        "movw %w0, %%gs\n\t" AT("movl %%eax, %%gs:(%1)") :: "r"(3), "r"(p) : "eax", "memory"));
    CHECK("null-es stosb", __asm__ volatile(
        "movw %w0, %%es\n\t" AT("stosb") "movw %w2, %%es"
        :: "r"(0), "D"(p), "r"(SEL_DATA0), "a"(0) : "memory"));
    CHECK("read-only write", ES_STORE(DWORD, SELX(L_RO, 0), p));
    CHECK("read-only read", ES_LOAD(DWORD, SELX(L_RO, 0), p));
    CHECK("code-cs write", __asm__ volatile(AT("movl %%eax, %%cs:(%0)") :: "r"(p), "a"(1) : "memory"));
    CHECK("code-readable-ds write", ES_STORE(DWORD, SEL_CODE0, p));
    CHECK("exec-only cs read", __asm__ volatile(
        "ljmp %2, $3f\n3:\t" AT("movl %%cs:(%0), %%eax") "ljmp %3, $4f\n4:"
        :: "r"(p), "a"(0), "i"(SELX(L_XO, 0)), "i"(SEL_CODE0) : "memory"));
    printf("lim cell=%x\n", cell);
}

static void code_limits(void)
{
    volatile uint32_t ptr[2];
    ptr[1] = SELX(L_CODESMALL, 0);
    ptr[0] = 0x2000;
    CHECK("ljmp beyond cs limit", __asm__ volatile(AT("ljmp *(%0)") :: "r"(ptr) : "memory"));
    ptr[1] = SELX(L_CODELIM, 0);
    ptr[0] = (uint32_t)lim_jmp_entry;
    CHECK("near jmp beyond cs limit", __asm__ volatile("ljmp *(%0)" :: "r"(ptr), "a"(lim_page_b) : "memory"));
    ptr[0] = (uint32_t)lim_fall_entry;
    CHECK("fetch runs past cs limit", __asm__ volatile("ljmp *(%0)" :: "r"(ptr) : "memory"));
}

static void stack_limits(void)
{
    static const char *const names[] = {
        "ring3 push esp=1000", "ring3 push esp=2000", "ring3 load (esp) esp=1000",
        "ring3 load 2000(ebp)", "ring3 expand-down push esp=1004", "ring3 expand-down push esp=1000",
    };
    for (volatile unsigned i = 0; i < 6; i++)
        CHECK(names[i], ring_call(3, stack_op, i));
}

static void rep_stos(void)
{
    volatile uint8_t *m = (volatile uint8_t *)0x200FFC;
    for (int i = 0; i < 8; i++)
        m[i] = 0x11;
    TRY {
        uint32_t ecx = 4, edi = 0xFFE;
        __asm__ volatile("movw %w2, %%es\n\trep stosb\n\tmovw %w3, %%es"
                         : "+c"(ecx), "+D"(edi) : "r"(SELX(L_BYTE, 0)), "r"(SEL_DATA0), "a"(0xEE)
                         : "memory");
        printf("lim rep-stos ok\n");
    } CATCH {
        printf("lim rep-stos vec=%u err=%04x\n", last_exc.vector, last_exc.error);
    }
    printf("lim rep-stos bytes %02x %02x %02x %02x %02x %02x\n", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void test_main(void)
{
    set_desc(L_BYTE, 0x200000, 0xFFF, ACC_DATA(3), FLG_DB);
    set_desc(L_PAGE, 0x200000, 0, ACC_DATA(3), FLG_G | FLG_DB);
    set_desc(L_DOWN, 0x200000, 0xFFF, ACC_DATA(3) | ACC_DATA_DOWN, FLG_DB);
    set_desc(L_DOWN16, 0x200000, 0xFFF, ACC_DATA(3) | ACC_DATA_DOWN, 0);
    set_desc(L_RO, 0, 0xFFFFF, ACC_P | ACC_DPL(3) | ACC_S | ACC_DATA_R, FLG_G | FLG_DB);
    set_desc(L_XO, 0, 0xFFFFF, ACC_P | ACC_S | ACC_CODE_X, FLG_G | FLG_DB);
    set_desc(L_CODELIM, 0, (uint32_t)lim_page_a >> 12, ACC_CODE(0), FLG_G | FLG_DB);
    set_desc(L_CODESMALL, 0, 0xFFF, ACC_CODE(0), FLG_DB);
    set_desc(L_STACK3, 0x200000, 0xFFF, ACC_DATA(3), FLG_DB);
    set_desc(L_STACKDN3, 0x200000, 0xFFF, ACC_DATA(3) | ACC_DATA_DOWN, FLG_DB);
    data_limits();
    access_rights();
    code_limits();
    stack_limits();
    rep_stos();
}
