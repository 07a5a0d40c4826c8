/*
 * The Linux side of `cargo xtask bench --vs linux`: the operations Moat's benchmarks measure,
 * done the Linux way, timed with the time-stamp counter (guest instructions under QEMU's
 * -icount shift=0) and printed in Moat's `BENCH` line format. xtask builds this program
 * statically and boots it as /init of an initramfs.
 *
 * - null_syscall: getpid, the cheapest call that does something (Moat: task_info).
 * - invalid_syscall: a number the kernel does not know (entry and exit only).
 * - ipc_futex: a round trip between two processes through futexes in shared memory.
 * - ipc_pipe: a round trip of one byte through two pipes between two processes.
 * - console_write_64: 64 bytes to /dev/ttyS0.
 * - file_read_4k: open + read 4 KiB + close of a file by path (tmpfs, page cache: warm).
 * - file_create_delete: a 16-byte file created, written, closed, then removed.
 * - directory_list: open + getdents64 + close of the root directory (4 entries, plus . and ..).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { WARM_UP = 5, SAMPLES = 50 };

/* QEMU's isa-debug-exit device: writing v makes QEMU exit with status (v << 1) | 1. */
enum { DEBUG_EXIT_PORT = 0xf4, EXIT_SUCCESS_VALUE = 0x10, EXIT_FAILURE_VALUE = 0x11 };

static inline uint64_t timestamp(void) {
    uint32_t low, high;
    /* As Moat's ulib::timing does: under TCG nothing runs out of order, and the `empty`
     * measurement's cost is subtracted from every other. */
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((uint64_t)high << 32) | low;
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* One BENCH line, summarised and printed as Moat's ulib::timing does. */
static void report(const char *name, uint64_t *samples) {
    qsort(samples, SAMPLES, sizeof samples[0], compare);
    printf("\nlinux: BENCH %s median=%llu p99=%llu min=%llu max=%llu samples=%d\n", name,
           (unsigned long long)samples[(SAMPLES - 1) * 500 / 1000],
           (unsigned long long)samples[(SAMPLES - 1) * 990 / 1000],
           (unsigned long long)samples[0], (unsigned long long)samples[SAMPLES - 1], SAMPLES);
    fflush(stdout);
}

typedef int (*operation)(void *context);

static int measure(const char *name, operation op, void *context) {
    uint64_t samples[SAMPLES];
    for (int round = 0; round < WARM_UP + SAMPLES; round++) {
        uint64_t start = timestamp();
        if (op(context) != 0) {
            printf("linux: %s failed\n", name);
            return -1;
        }
        uint64_t end = timestamp();
        if (round >= WARM_UP) samples[round - WARM_UP] = end - start;
    }
    report(name, samples);
    return 0;
}

static int nothing(void *context) { (void)context; return 0; }

static int getpid_call(void *context) {
    (void)context;
    return syscall(SYS_getpid) > 0 ? 0 : -1;
}

static int invalid_call(void *context) {
    (void)context;
    return syscall(100000) == -1 ? 0 : -1;
}

/* Futex ping-pong: word 0 is the turn (0: parent's, 1: child's); word 1 asks the child to end. */
static long futex(uint32_t *word, int op, uint32_t value) {
    return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

static int futex_round_trip(void *context) {
    uint32_t *turn = context;
    __atomic_store_n(turn, 1, __ATOMIC_SEQ_CST);
    futex(turn, FUTEX_WAKE, 1);
    while (__atomic_load_n(turn, __ATOMIC_SEQ_CST) == 1) futex(turn, FUTEX_WAIT, 1);
    return 0;
}

static void futex_partner(uint32_t *turn) {
    for (;;) {
        while (__atomic_load_n(turn, __ATOMIC_SEQ_CST) == 0) futex(turn, FUTEX_WAIT, 0);
        if (__atomic_load_n(&turn[1], __ATOMIC_SEQ_CST)) _exit(0);
        __atomic_store_n(turn, 0, __ATOMIC_SEQ_CST);
        futex(turn, FUTEX_WAKE, 1);
    }
}

static int measure_futex(void) {
    uint32_t *turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (turn == MAP_FAILED) return -1;
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) futex_partner(turn);
    int result = measure("ipc_futex", futex_round_trip, turn);
    /* The partner's last turn: it sees the request to end and leaves. */
    __atomic_store_n(&turn[1], 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(turn, 1, __ATOMIC_SEQ_CST);
    futex(turn, FUTEX_WAKE, 1);
    waitpid(child, NULL, 0);
    return result;
}

struct pipes { int to_child[2], to_parent[2]; };

static int pipe_round_trip(void *context) {
    struct pipes *p = context;
    char byte = 'p';
    if (write(p->to_child[1], &byte, 1) != 1) return -1;
    return read(p->to_parent[0], &byte, 1) == 1 ? 0 : -1;
}

static int measure_pipe(void) {
    struct pipes p;
    if (pipe(p.to_child) != 0 || pipe(p.to_parent) != 0) return -1;
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        /* Without the writing end, the read below sees the end of the file when the parent
         * closes its own. */
        close(p.to_child[1]);
        char byte;
        while (read(p.to_child[0], &byte, 1) == 1) {
            if (write(p.to_parent[1], &byte, 1) != 1) break;
        }
        _exit(0);
    }
    int result = measure("ipc_pipe", pipe_round_trip, &p);
    close(p.to_child[1]);
    waitpid(child, NULL, 0);
    return result;
}

static int console_write(void *context) {
    static const char line[64] = "................................................................";
    return write(*(int *)context, line, sizeof line) == sizeof line ? 0 : -1;
}

static char buffer[4096];

static int read_by_path(void *context) {
    (void)context;
    int fd = open("/BENCH.DAT", O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buffer, sizeof buffer);
    close(fd);
    return n == sizeof buffer ? 0 : -1;
}

static int create_delete(void *context) {
    (void)context;
    static const char small[16] = "sixteen bytes..\n";
    int fd = open("/T.TXT", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    ssize_t n = write(fd, small, sizeof small);
    close(fd);
    return n == sizeof small && unlink("/T.TXT") == 0 ? 0 : -1;
}

static int list_root(void *context) {
    (void)context;
    int fd = open("/", O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -1;
    long n = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
    close(fd);
    return n > 0 ? 0 : -1;
}

static void leave(int ok) {
    /* Root in the initramfs may use the port; if not, the kernel panics on init's exit. */
    if (ioperm(DEBUG_EXIT_PORT, 4, 1) == 0) outb(ok ? EXIT_SUCCESS_VALUE : EXIT_FAILURE_VALUE,
                                              DEBUG_EXIT_PORT);
    exit(ok ? 0 : 1);
}

int main(void) {
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) != 0) perror("linux: mounting /dev");
    int serial = open("/dev/ttyS0", O_WRONLY | O_NOCTTY);
    if (serial < 0) {
        perror("linux: opening /dev/ttyS0");
        leave(0);
    }
    int ok = 1;
    ok &= measure("empty", nothing, NULL) == 0;
    ok &= measure("null_syscall", getpid_call, NULL) == 0;
    ok &= measure("invalid_syscall", invalid_call, NULL) == 0;
    ok &= measure_futex() == 0;
    ok &= measure_pipe() == 0;
    ok &= measure("console_write_64", console_write, &serial) == 0;
    ok &= measure("file_read_4k", read_by_path, NULL) == 0;
    ok &= measure("file_create_delete", create_delete, NULL) == 0;
    ok &= measure("directory_list", list_root, NULL) == 0;
    printf("\nBENCH DONE\n");
    fflush(stdout);
    leave(ok);
}
