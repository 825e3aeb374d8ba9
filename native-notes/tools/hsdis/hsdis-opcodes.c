/*
 * A minimal HotSpot disassembler plugin (hsdis-amd64.so) for x86-64 on top of GNU libopcodes as Debian ships it
 * (package binutils-dev). A developer tool for reading the JIT's output (-XX:+PrintAssembly); not part of the
 * project's build. How to build and use it: native-notes/tools/README.md.
 *
 * Why this one: JDK 9+ looks for decode_instructions_virtual; Debian bookworm's libhsdis0-fcml exports only the
 * older decode_instructions and is refused ("Loading hsdis library failed"); OpenJDK's own plugin sources are not
 * in any bookworm source package (its only JDK is 17, whose hsdis needs a binutils source tree); and Debian's
 * Capstone 4.0.2 cannot decode some AVX-512 encodings C2 emits in the hot loops (an EVEX load whose base and index
 * are both r8-r15, e.g. 62 81 7c 28 10 a4 93 10 00 00 00 = vmovups ymm20, [r11+r10*4+0x10]), while libopcodes does.
 *
 * Written from the documented protocol (the comment block of OpenJDK's src/utils/hsdis/hsdis.h): HotSpot calls
 * decode_instructions_virtual for a range of code in its own address space (start_va == buffer). For each
 * instruction the plugin sends the event "insn" with its address, prints its text through printf_callback, and
 * sends "/insn" with the address just past it; HotSpot prints the address, block comments and relocations around
 * that. An address operand (branch target) is offered to HotSpot with the event "addr"; a non-null answer means
 * HotSpot printed it symbolically. The return value is the address where decoding stopped.
 *
 * Options (-XX:PrintAssemblyOptions=a,b,...): those starting with "hsdis-" and "help" are HotSpot's own; the rest go
 * to libopcodes' x86 disassembler (e.g. "intel" for Intel syntax; AT&T is the default).
 */
#define PACKAGE "hsdis-opcodes" /* bfd.h refuses to be included without it */
#define PACKAGE_VERSION "1"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <bfd.h>
#include <dis-asm.h>

typedef void *(*event_fn)(void *stream, const char *event, void *arg);
typedef int (*printf_fn)(void *stream, const char *format, ...);

struct session {
    event_fn event;
    void *event_stream;
    printf_fn print;
    void *print_stream;
};

/* libopcodes prints through vararg callbacks; HotSpot's printf_callback takes varargs but has no va_list form. */
static int forward_vprintf(struct session *s, const char *format, va_list ap) {
    char text[512];
    vsnprintf(text, sizeof text, format, ap);
    return s->print(s->print_stream, "%s", text);
}

static int plain_printf(void *stream, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int n = forward_vprintf(stream, format, ap);
    va_end(ap);
    return n;
}

static int styled_printf(void *stream, enum disassembler_style style, const char *format, ...) {
    (void) style;
    va_list ap;
    va_start(ap, format);
    int n = forward_vprintf(stream, format, ap);
    va_end(ap);
    return n;
}

static void print_address(bfd_vma address, struct disassemble_info *info) {
    struct session *s = info->stream;
    if (s->event(s->event_stream, "addr", (void *) (uintptr_t) address) == NULL) {
        s->print(s->print_stream, "0x%llx", (unsigned long long) address);
    }
}

/* Copies the options meant for libopcodes (all but HotSpot's own) into out, comma separated. */
static void opcodes_options(const char *options, char *out, size_t size) {
    out[0] = '\0';
    size_t used = 0;
    for (const char *p = options; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t) (end - p) : strlen(p);
        int hotspot = (len >= 6 && strncmp(p, "hsdis-", 6) == 0) || (len == 4 && strncmp(p, "help", 4) == 0);
        if (!hotspot && len > 0 && used + len + 2 < size) {
            if (used > 0) {
                out[used++] = ',';
            }
            memcpy(out + used, p, len);
            used += len;
            out[used] = '\0';
        }
        p = end != NULL ? end + 1 : NULL;
    }
}

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_fn event_callback, void *event_stream, printf_fn printf_callback,
                                  void *printf_stream, const char *options, int newline) {
    struct session s = {event_callback, event_stream, printf_callback, printf_stream};
    char opts[256];
    opcodes_options(options, opts, sizeof opts);
    struct disassemble_info info;
    init_disassemble_info(&info, &s, plain_printf, styled_printf);
    info.arch = bfd_arch_i386;
    info.mach = bfd_mach_x86_64;
    info.buffer = buffer;
    info.buffer_vma = start_va;
    info.buffer_length = length;
    info.print_address_func = print_address;
    info.disassembler_options = opts[0] != '\0' ? opts : NULL;
    disassemble_init_for_target(&info);
    disassembler_ftype decode = disassembler(bfd_arch_i386, false, bfd_mach_x86_64, NULL);
    uintptr_t end = start_va + length < end_va ? start_va + length : end_va;
    uintptr_t pc = start_va;
    while (decode != NULL && pc < end) {
        event_callback(event_stream, "insn", (void *) pc);
        int size = decode(pc, &info);
        if (size <= 0) {
            break; /* libopcodes has printed why; HotSpot resumes after the returned address */
        }
        pc += (uintptr_t) size;
        event_callback(event_stream, "/insn", (void *) pc);
        if (newline) {
            printf_callback(printf_stream, "\n");
        }
    }
    disassemble_free_target(&info);
    return (void *) pc;
}
