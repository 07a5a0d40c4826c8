//! The boot checks: whole boots of the system (or test) kernel judged from outside, with the
//! sessions typed into them. `test.rs` runs them; docs/testing.md explains how to add one.

use crate::images::{Flavor, KernelKind};
use crate::qemu::{Firmware, GUEST_FAILURE, Keystrokes};

/// A whole boot judged from outside.
#[derive(Clone, Copy)]
pub struct BootCheck {
    pub name: &'static str,
    pub kernel: KernelKind,
    pub flavor: Flavor,
    pub firmware: Firmware,
    /// QEMU's `-cpu` model; `None` for its default (`qemu64`, without SMEP or SMAP).
    pub cpu: Option<&'static str>,
    pub cmdline: &'static str,
    pub exit_code: i32,
    /// Lines of serial output that must appear, in this order.
    pub expect: &'static [&'static str],
    /// Typed at the serial console as the output shows each cue.
    pub input: &'static [Keystrokes<'static>],
    /// End the run (QEMU stopped, counted as exit status 0) once the output shows this.
    pub stop_at: Option<&'static str>,
    /// Later boots of the same system with the same data disk (a reboot), each judged alike.
    pub reboots: &'static [Reboot],
    /// Files the data disk must hold afterwards (path, contents), read on the host.
    pub disk_holds: &'static [(&'static str, &'static str)],
}

/// A further boot within a check: what to type and what must appear.
#[derive(Clone, Copy)]
pub struct Reboot {
    pub expect: &'static [&'static str],
    pub input: &'static [Keystrokes<'static>],
    pub stop_at: Option<&'static str>,
}

/// A boot into the shell: the kernel, the boot tasks, then the prompt.
const SHELL_BOOT: &[&str] = &["Moat ", "boot complete", "task shell", "Moat shell.", "moat> "];

/// A short session typed at the serial console: each line goes serial driver -> console ->
/// shell as messages, and the shell's answer comes back the same way.
const SHELL_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "echo ping-from-the-test\r" },
    // Longer than one read of the console (64 bytes), typed in one burst.
    Keystrokes { after: "moat> ", send: LONG_LINE },
    Keystrokes { after: "moat> ", send: "uptime\r" },
    // Up twice brings back the long echo line, which runs again.
    Keystrokes { after: " ticks)\nmoat> ", send: "\x1b[A\x1b[A\r" },
];

const LONG_LINE: &str =
    "echo 0123456789 abcdefghijklmnopqrstuvwxyz 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ end\r";

/// Kill the serial driver and the console under the shell; the supervisor restarts them and
/// the session goes on, with the restarts visible in `ps`.
const KILL_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "kill supervisor\r" },
    Keystrokes { after: "moat> ", send: "inject supervisor hang\r" },
    Keystrokes { after: "moat> ", send: "kill serial\r" },
    Keystrokes { after: "moat> ", send: "echo after-serial\r" },
    Keystrokes { after: "moat> ", send: "kill console\r" },
    Keystrokes { after: "moat> ", send: "echo after-console\r" },
    Keystrokes { after: "moat> ", send: "ps\r" },
];

/// Inject faults into the serial driver and the console under the shell: each server is
/// stopped by the kernel (or, for the hang, by the supervisor's watchdog) and restarted, and
/// the session goes on.
const INJECT_SESSION: &[Keystrokes] = &[
    // Numbers that do not fit are refused, and nothing is armed.
    Keystrokes { after: "moat> ", send: "inject serial nullptr 70000\r" },
    Keystrokes { after: "65535\nmoat> ", send: "inject serial nullptr\r" },
    Keystrokes { after: "moat> ", send: "echo one\r" },
    Keystrokes { after: "\none\nmoat> ", send: "inject console hang\r" },
    Keystrokes { after: "moat> ", send: "echo two\r" },
    Keystrokes { after: "\ntwo\nmoat> ", send: "inject serial privileged\r" },
    Keystrokes { after: "moat> ", send: "inject serial divzero\r" },
    Keystrokes { after: "moat> ", send: "inject serial stack\r" },
    Keystrokes { after: "moat> ", send: "echo five\r" },
];

/// Files through the shell: written, listed, read back; then, after a reboot, still there.
const FILES_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "echo hello from moat > NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "ls\r" },
    Keystrokes { after: "moat> ", send: "cat NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "mkdir LOGS\r" },
    Keystrokes { after: "moat> ", send: "echo line one >> LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "echo line two >> LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "write W.TXT\r" },
    // Pasted in one burst, ahead of the reads: the console keeps the lines typed ahead.
    Keystrokes { after: "holding only `.`\n", send: "alpha\rbeta\r.\r" },
    Keystrokes { after: "moat> ", send: "cat W.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat LOGS\r" },
    Keystrokes { after: "moat> ", send: "cat nope.txt\r" },
    Keystrokes { after: "moat> ", send: "sum LOGS/A.TXT\r" },
];

const FILES_AFTER_REBOOT: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "cat NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "mv NOTE.TXT LOGS/KEPT.TXT\r" },
    Keystrokes { after: "moat> ", send: "rm LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "rm LOGS\r" },
    Keystrokes { after: "moat> ", send: "ls LOGS\r" },
];

/// Faults injected into the servers under a loop of file writes and reads: each server is
/// restarted, the client helpers repeat the request in flight, every checksum matches.
const FILE_FAULTS_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "inject serial kill\r" },
    Keystrokes { after: "moat> ", send: "stress 20\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "inject fs nullptr\r" },
    Keystrokes { after: "moat> ", send: "stress 20\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "inject block divzero\r" },
    Keystrokes { after: "moat> ", send: "stress 20\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "inject fs hang\r" },
    Keystrokes { after: "moat> ", send: "stress 5\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "echo survived > OK.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat OK.TXT\r" },
    Keystrokes { after: "survived\nmoat> ", send: "services\r" },
];

/// Keys pressed on the PS/2 keyboard (through QEMU's monitor): keyboard driver -> console ->
/// shell, the same path as the serial line's bytes from the console on.
const KEYBOARD_SESSION: &[Keystrokes] = &[Keystrokes {
    after: "moat> ",
    send: "(qemu) sendkey e\nsendkey c\nsendkey h\nsendkey o\nsendkey spc\nsendkey shift-k\n\
           sendkey b\nsendkey d\nsendkey ret",
}];

/// Programs run from the disk: read through the file server, started by the supervisor;
/// one that faults is stopped alone, one that spins is stopped with Ctrl-C.
const PROGRAMS_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "ls BIN\r" },
    Keystrokes { after: "moat> ", send: "hello\r" },
    Keystrokes { after: "moat> ", send: "fault cli\r" },
    Keystrokes { after: "moat> ", send: "spin 1000\r" },
    Keystrokes { after: "round 1", send: "\x03" },
    Keystrokes { after: "moat> ", send: "nosuch\r" },
    Keystrokes { after: "moat> ", send: "echo not an ELF file > BIN/JUNK\r" },
    Keystrokes { after: "moat> ", send: "junk\r" },
    Keystrokes { after: "moat> ", send: "mem\r" },
];

/// Corruption faults: a flipped register bit in the console, a flipped data bit in the serial
/// driver, a flipped bit in a reply of the file server, and one armed to fire later. Whatever
/// each does to its server, the kernel stays up and the shell answers at the end.
const CORRUPTION_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "inject console flipreg 0 7\r" },
    Keystrokes { after: "moat> ", send: "echo one\r" },
    Keystrokes { after: "moat> ", send: "inject serial flipmem 0 3\r" },
    Keystrokes { after: "moat> ", send: "echo two\r" },
    Keystrokes { after: "moat> ", send: "inject fs badreply 0 5\r" },
    Keystrokes { after: "moat> ", send: "cat README.TXT\r" },
    Keystrokes { after: "moat> ", send: "inject fs nullptr 3\r" },
    Keystrokes { after: "moat> ", send: "stress 5\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "echo still-standing\r" },
];

const BIOS_SHELL_SESSION: BootCheck = BootCheck {
    name: "boot::bios_shell_session",
    kernel: KernelKind::System,
    flavor: Flavor::Micro,
    firmware: Firmware::Bios,
    cpu: None,
    cmdline: "",
    exit_code: 0,
    expect: &[
        "boot complete",
        "Moat shell.",
        "moat> echo ping-from-the-test\nping-from-the-test\nmoat> ",
        "\n0123456789 abcdefghijklmnopqrstuvwxyz 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ end\nmoat> ",
        "uptime\nup ",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ end\n0123456789 abcdefghijklmnopqrstuvwxyz",
    ],
    input: SHELL_SESSION,
    stop_at: Some("WXYZ end\nmoat> "),
    reboots: &[],
    disk_holds: &[],
};

const FILES_PERSIST: BootCheck = BootCheck {
    name: "boot::files_persist_across_a_reboot",
    kernel: KernelKind::System,
    flavor: Flavor::Micro,
    firmware: Firmware::Bios,
    cpu: None,
    cmdline: "",
    exit_code: 0,
    expect: &[
        "NOTE.TXT           16",
        "moat> cat NOTE.TXT\nhello from moat\nmoat> ",
        "moat> cat W.TXT\nalpha\nbeta\nmoat> ",
        "cat LOGS: is a directory",
        "cat nope.txt: no such file or directory",
        "LOGS/A.TXT: 18 bytes, fnv1a ",
    ],
    input: FILES_SESSION,
    stop_at: Some("fnv1a "),
    reboots: &[Reboot {
        expect: &[
            "moat> cat NOTE.TXT\nhello from moat\nmoat> ",
            "cat LOGS/A.TXT\nline one\nline two\nmoat> ",
            "rm LOGS: directory not empty",
            "ls LOGS\nKEPT.TXT           16\nmoat> ",
        ],
        input: FILES_AFTER_REBOOT,
        stop_at: Some("KEPT.TXT           16\nmoat> "),
    }],
    disk_holds: &[("/LOGS/KEPT.TXT", "hello from moat\n")],
};

const PROGRAMS_RUN: BootCheck = BootCheck {
    name: "boot::programs_run_from_the_disk",
    kernel: KernelKind::System,
    flavor: Flavor::Micro,
    firmware: Firmware::Bios,
    cpu: None,
    cmdline: "",
    exit_code: 0,
    expect: &[
        "HELLO ",
        "moat> hello\n",
        "hello: Hello from ring 3! I am task ",
        "moat> fault cli\n",
        "fault: about to commit: cli",
        "fault: stopped by a fault (see the kernel log)\nmoat> ",
        "spin 1000\n",
        "spin: stopped\nmoat> ",
        "nosuch: no such command or program",
        "junk: not a program",
        "physical: ",
        "tasks: ",
    ],
    input: PROGRAMS_SESSION,
    stop_at: Some("tasks: "),
    reboots: &[],
    disk_holds: &[],
};

/// The same check on the monolithic flavour: the same shell binary, whose messages to the
/// console and file server are handled inside the kernel.
const fn on_monolithic(name: &'static str, check: BootCheck) -> BootCheck {
    BootCheck { name, flavor: Flavor::Monolithic, ..check }
}

/// The same faults that the microkernel survives, in the monolithic flavour: a privileged
/// instruction in the console goes unnoticed (ring 0 may run it), and a null pointer in the
/// file server takes the whole kernel down.
const MONOLITHIC_FAULT_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "ps\r" },
    Keystrokes { after: "in kernel      2         0", send: "inject console privileged\r" },
    // Typed while `ps` still prints: wait for the fault itself, then the prompt.
    Keystrokes { after: "in ring 0\nmoat> ", send: "echo unharmed\r" },
    Keystrokes { after: "unharmed\nmoat> ", send: "kill keyboard\r" },
    Keystrokes { after: "moat> ", send: "inject fs nullptr\r" },
    Keystrokes { after: "moat> ", send: "ls\r" },
];

/// Ctrl-C as a terminal user expects it: at the prompt it gives a fresh prompt and nothing
/// more; while a program runs it stops that program, once; while a program waits for a line
/// it stops it too, and the next line goes to the shell.
const CTRL_C_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "\x03" },
    // Kept, the Ctrl-C at the prompt would stop this about 60 ms in.
    Keystrokes { after: "moat> ", send: "sleeper 20\r" },
    Keystrokes { after: "moat> ", send: "spin 50\r" },
    Keystrokes { after: "round 1/50", send: "\x03" },
    // Delivered twice, the Ctrl-C would stop this too.
    Keystrokes { after: "moat> ", send: "hello\r" },
    Keystrokes { after: "moat> ", send: "ask\r" },
    Keystrokes { after: "what is your name?\n", send: "\x03" },
    Keystrokes { after: "moat> ", send: "echo back at the shell\r" },
];

pub const BOOT_CHECKS: &[BootCheck] = &[
    BootCheck {
        name: "boot::ctrl_c_stops_the_program_once_and_only_it",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "klog=warn",
        exit_code: 0,
        expect: &[
            "moat> ^C\nmoat> sleeper 20\n",
            "asked for 20 ticks, slept ",
            "asked for 20 ticks, slept ",
            "asked for 20 ticks, slept ",
            "moat> spin 50\n",
            "^C\n",
            "spin: stopped\n",
            "moat> hello\nhello: Hello from ring 3!",
            "moat> ask\nask: what is your name?\n^C\n",
            "moat> echo back at the shell\nback at the shell\nmoat> ",
        ],
        input: CTRL_C_SESSION,
        stop_at: Some("back at the shell\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::corruption_faults_leave_the_kernel_standing",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "task console (2.0): injected fault flipreg fired at its receive: ",
            "task serial (1.0): injected fault flipmem fired at its receive: ",
            "task fs (6.0): injected fault badreply fired at its receive: its next reply",
            "inject: arming nullptr in fs (6.0); it fires after 3 more messages",
            "supervisor: fs (6.0) faulted: vector 14 (page fault)",
            "stress: 5 files written and read back, checksums match",
            "moat> echo still-standing\nstill-standing\nmoat> ",
        ],
        input: CORRUPTION_SESSION,
        stop_at: Some("still-standing\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    PROGRAMS_RUN,
    BootCheck {
        name: "boot::keyboard_types_into_the_shell",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "",
        exit_code: 0,
        expect: &["moat> echo Kbd\nKbd\nmoat> "],
        input: KEYBOARD_SESSION,
        stop_at: Some("Kbd\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    FILES_PERSIST,
    BootCheck {
        name: "boot::file_server_faults_are_survived",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "supervisor: serial (1.0) was killed",
            "stress: 20 files written and read back, checksums match",
            "supervisor: fs (6.0) faulted: vector 14 (page fault)",
            "stress: 20 files written and read back, checksums match",
            "supervisor: block (5.0) faulted: vector 0 (divide error)",
            "supervisor: restarting block in 1 ticks",
            "supervisor: restarted block as 5.1",
            "stress: 20 files written and read back, checksums match",
            "supervisor: fs (6.1) ran ",
            "stress: 5 files written and read back, checksums match",
            "moat> cat OK.TXT\nsurvived\nmoat> ",
            "block            5.1     backoff         1  watching         receiving",
            "fs               6.2     restart         2  watching         receiving",
        ],
        input: FILE_FAULTS_SESSION,
        stop_at: Some("shell            3.0     restart"),
        reboots: &[],
        disk_holds: &[("/OK.TXT", "survived\n")],
    },
    BIOS_SHELL_SESSION,
    on_monolithic("boot::monolithic_shell_session", BIOS_SHELL_SESSION),
    on_monolithic("boot::monolithic_files_persist_across_a_reboot", FILES_PERSIST),
    on_monolithic("boot::monolithic_programs_run_from_the_disk", PROGRAMS_RUN),
    BootCheck {
        name: "boot::monolithic_driver_fault_crashes_the_kernel",
        kernel: KernelKind::System,
        flavor: Flavor::Monolithic,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "",
        exit_code: GUEST_FAILURE,
        expect: &[
            "3.0     shell           ",
            "6.0     fs              in kernel",
            "inject: arming privileged in console",
            "moat> echo unharmed\nunharmed\nmoat> ",
            // A built-in service is gone for good once killed, and the shell says so.
            "it is built into the kernel, so it will be gone until the next boot\n",
            "built-in fs: injected fault nullptr fires in ring 0",
            "EXCEPTION: page fault (#PF, vector 14) in kernel mode",
            "KERNEL PANIC",
        ],
        input: MONOLITHIC_FAULT_SESSION,
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    // A built-in service runs on the kernel's trap stack: an overflow reaches the guard page
    // under it and is reported as a double fault (before the guard page, it wrote over the
    // kernel's memory until the machine reset, and QEMU exited with status 0).
    BootCheck {
        name: "boot::monolithic_stack_overflow_is_a_reported_double_fault",
        kernel: KernelKind::System,
        flavor: Flavor::Monolithic,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "klog=warn",
        exit_code: GUEST_FAILURE,
        expect: &[
            "inject: arming stack in console",
            "built-in console: injected fault stack fires in ring 0",
            "EXCEPTION: double fault (#DF, vector 8) in kernel mode",
            "KERNEL PANIC",
        ],
        input: &[Keystrokes { after: "moat> ", send: "inject console stack\r" }],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::killed_servers_are_restarted",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "kill supervisor: not stopped: permission denied",
            "inject supervisor: not armed: permission denied",
            // Said before it happens: the supervisor's news of it comes after.
            "moat> kill serial\nkill: stopping serial (1.0)\n",
            "supervisor: serial (1.0) was killed",
            "supervisor: restarted serial as 1.1",
            "moat> echo after-serial\nafter-serial\nmoat> ",
            "supervisor: restarted console as 2.1",
            "moat> echo after-console\nafter-console\nmoat> ",
            "1.1     serial          receiving      1         1",
            "2.1     console         receiving      2         1",
        ],
        input: KILL_SESSION,
        stop_at: Some("3.0     shell"),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::a_quiet_session_and_what_it_shows",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        // What `cargo xtask qemu` passes unless `--kernel-log`.
        cmdline: "klog=warn",
        exit_code: 0,
        expect: &[
            // The program's line follows the command at once: no kernel line in between.
            "moat> hello\nhello: Hello from ring 3! I am task 7.0;",
            // A finished program is listed under the id it ran under.
            "7.0     hello           exited",
            "moat> fault\nfault: usage: fault KIND; the kinds are: divzero ud2",
            "moat> echo hi > /X/\necho > /X/: is a directory\n",
            "moat> dmesg\n",
            "INFO  kernel: boot complete",
            "INFO  kernel::lifecycle: task hello",
            "moat> ",
        ],
        input: &[
            Keystrokes { after: "moat> ", send: "hello\r" },
            Keystrokes { after: "ticks.\nmoat> ", send: "ps\r" },
            Keystrokes { after: "moat> ", send: "fault\r" },
            Keystrokes { after: "stack, panic)\nmoat> ", send: "echo hi > /X/\r" },
            Keystrokes { after: "directory\nmoat> ", send: "dmesg\r" },
        ],
        stop_at: Some("moat> "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::injected_faults_are_survived",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "",
        exit_code: 0,
        expect: &[
            "inject: AFTER is a count of messages, from 0 to 65535\nmoat> ",
            // Said before the fault is armed, so before it fires and the supervisor tells.
            "inject serial nullptr\ninject: arming nullptr in serial (1.0); it fires at its next \
             message\n",
            "supervisor: serial (1.0) faulted: vector 14 (page fault), error code 0x4",
            "supervisor: restarted serial as 1.1",
            "moat> echo one\none\nmoat> ",
            "supervisor: console (2.0) ran ",
            "supervisor: restarted console as 2.1",
            "moat> echo two\ntwo\nmoat> ",
            "supervisor: serial (1.1) faulted: vector 13 (general protection fault)",
            "supervisor: serial (1.2) faulted: vector 0 (divide error)",
            "supervisor: serial (1.3) faulted: vector 14 (page fault), error code 0x6",
            "moat> echo five\nfive\nmoat> ",
        ],
        input: INJECT_SESSION,
        stop_at: Some("\nfive\nmoat> "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "boot::uefi_boots_to_the_shell",
        kernel: KernelKind::System,
        flavor: Flavor::Micro,
        firmware: Firmware::Uefi,
        cpu: None,
        cmdline: "",
        exit_code: 0,
        expect: SHELL_BOOT,
        input: &[Keystrokes { after: "moat> ", send: "whoami\r" }],
        stop_at: Some("shell, task "),
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::panic_is_reported",
        kernel: KernelKind::Tests,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "crash=panic",
        exit_code: GUEST_FAILURE,
        expect: &["KERNEL PANIC at kernel/src/tests/crash.rs:", "deliberate panic (crash=panic)"],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::kernel_page_fault_is_reported",
        kernel: KernelKind::Tests,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "crash=page-fault",
        exit_code: GUEST_FAILURE,
        expect: &[
            "EXCEPTION: page fault (#PF, vector 14) in kernel mode",
            "cr2 0xffffbffffffff000 (read of a non-present page)",
            "rip 0xffffffff8",
            "KERNEL PANIC at kernel/src/arch/x86_64/trap.rs:",
        ],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    // A CPU model with SMEP and SMAP: ring 0 following a user address faults at once.
    BootCheck {
        name: "crash::smep_stops_ring0_running_user_code",
        kernel: KernelKind::Tests,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: Some("max"),
        cmdline: "crash=user-code",
        exit_code: GUEST_FAILURE,
        expect: &[
            "SMEP on, SMAP on",
            "EXCEPTION: page fault (#PF, vector 14) in kernel mode",
            // Present, fetched by the supervisor: only SMEP refuses that.
            "error code 0x11",
            "cr2 0x0000000000400000 (instruction fetch)",
            "KERNEL PANIC",
        ],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::smap_stops_ring0_reading_user_data",
        kernel: KernelKind::Tests,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: Some("max"),
        cmdline: "crash=user-data",
        exit_code: GUEST_FAILURE,
        expect: &[
            "EXCEPTION: page fault (#PF, vector 14) in kernel mode",
            // Present and readable, read by the supervisor: only SMAP refuses that.
            "error code 0x1",
            "cr2 0x0000000000400000 (read denied by page protection)",
            "KERNEL PANIC",
        ],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
    BootCheck {
        name: "crash::stack_overflow_double_faults",
        kernel: KernelKind::Tests,
        flavor: Flavor::Micro,
        firmware: Firmware::Bios,
        cpu: None,
        cmdline: "crash=stack-overflow",
        exit_code: GUEST_FAILURE,
        expect: &["EXCEPTION: double fault (#DF, vector 8) in kernel mode", "KERNEL PANIC"],
        input: &[],
        stop_at: None,
        reboots: &[],
        disk_holds: &[],
    },
];
