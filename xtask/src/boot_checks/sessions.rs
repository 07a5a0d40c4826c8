//! What the boot checks type: each session, line by line, with the cue it waits for before
//! each line. `super::BOOT_CHECKS` says what each boot must show.

use crate::qemu::Keystrokes;

/// A short session typed at the serial console: each line goes serial driver -> console ->
/// shell as messages, and the shell's answer comes back the same way.
pub const SHELL_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "echo ping-from-the-test\r" },
    // Longer than one read of the console (64 bytes), typed in one burst.
    Keystrokes { after: "moat> ", send: LONG_LINE },
    Keystrokes { after: "moat> ", send: "uptime\r" },
    // Up twice brings back the long echo line, which runs again.
    Keystrokes { after: " ticks)\nmoat> ", send: "\x1b[A\x1b[A\r" },
];

pub const LONG_LINE: &str =
    "echo 0123456789 abcdefghijklmnopqrstuvwxyz 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ end\r";

/// Kill the serial driver and the console under the shell; the supervisor restarts them and
/// the session goes on, with the restarts visible in `ps`.
pub const KILL_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "kill supervisor\r" },
    Keystrokes { after: "moat> ", send: "inject supervisor hang\r" },
    Keystrokes { after: "moat> ", send: "kill serial\r" },
    Keystrokes { after: "moat> ", send: "echo after-serial\r" },
    Keystrokes { after: "moat> ", send: "kill console\r" },
    Keystrokes { after: "moat> ", send: "echo after-console\r" },
    Keystrokes { after: "moat> ", send: "ps\r" },
];

/// Inject faults into the serial driver, the console and the file server under the shell, at
/// their wait for a message and midway through a request: each server is stopped by the
/// kernel (or, for the hang and the stalls, by the supervisor) and restarted, and the session
/// goes on.
pub const INJECT_SESSION: &[Keystrokes] = &[
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
    // The file server sleeps for ever holding the listing's request: only pings find it out.
    Keystrokes { after: "\nfive\nmoat> ", send: "inject fs stall\r" },
    Keystrokes { after: "moat> ", send: "ls\r" },
    // The serial driver stalls holding the console's write: the console, blocked in that call,
    // is silent too, but only the driver is stopped, and the console goes on.
    Keystrokes { after: "BIN/                -\nmoat> ", send: "inject serial stall\r" },
    Keystrokes { after: "moat> ", send: "echo six\r" },
    // Midway: the file server takes a null pointer 500 of its instructions into the listing.
    Keystrokes { after: "\nsix\nmoat> ", send: "inject fs nullptr @0\r" },
    Keystrokes { after: "4294967295\nmoat> ", send: "inject fs nullptr @500\r" },
    Keystrokes { after: "moat> ", send: "ls\r" },
    Keystrokes { after: "BIN/                -\nmoat> ", send: "echo seven\r" },
    // A code mutation: bytes that are not all the target's code are refused, and nothing
    // changes; half a byte is not a byte.
    Keystrokes { after: "\nseven\nmoat> ", send: "inject fs mutate 0x10 0f0\r" },
    Keystrokes { after: "15 bytes)\nmoat> ", send: "inject fs mutate 0x10 0f0b\r" },
    Keystrokes { after: "all its code\nmoat> ", send: "echo eight\r" },
];

/// Files through the shell: written, listed, read back; then, after a reboot, still there.
pub const FILES_SESSION: &[Keystrokes] = &[
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

pub const FILES_AFTER_REBOOT: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "cat NOTE.TXT\r" },
    Keystrokes { after: "moat> ", send: "cat LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "mv NOTE.TXT LOGS/KEPT.TXT\r" },
    Keystrokes { after: "moat> ", send: "rm LOGS/A.TXT\r" },
    Keystrokes { after: "moat> ", send: "rm LOGS\r" },
    Keystrokes { after: "moat> ", send: "ls LOGS\r" },
];

/// Faults injected into the servers under a loop of file writes and reads: each server is
/// restarted, the client helpers repeat the request in flight, every checksum matches.
pub const FILE_FAULTS_SESSION: &[Keystrokes] = &[
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

/// A line typed half before the console is killed and half after its restart, then the same
/// with the serial driver: both halves reach the shell. Each kill's count of messages (the
/// shell's acknowledgement and prompt are messages too, and the keys come one interrupt at a
/// time) lands it among the first keys of the line: the console dies holding `echo sur` in
/// its editor, the serial driver holding keys the console has not read yet. Without the
/// state each keeps with the supervisor, the shell gets `vived` or `ho intact`. Last, the
/// keyboard driver dies at the interrupt of the first key pressed on the PS/2 keyboard: its
/// successor finds that key in the controller and decodes it (dropped, the shell would get
/// `cho keys`).
pub const TYPED_ACROSS_RESTARTS_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "inject console kill 3\r" },
    Keystrokes { after: "moat> ", send: "echo sur" },
    Keystrokes { after: "restarted console as", send: "vived\r" },
    Keystrokes { after: "survived\nmoat> ", send: "inject serial kill 5\r" },
    Keystrokes { after: "moat> ", send: "echo int" },
    Keystrokes { after: "restarted serial as", send: "act\r" },
    Keystrokes { after: "intact\nmoat> ", send: "inject keyboard kill 1\r" },
    Keystrokes {
        after: "moat> ",
        send: "(qemu) sendkey e\nsendkey c\nsendkey h\nsendkey o\nsendkey spc\nsendkey k\n\
               sendkey e\nsendkey y\nsendkey s\nsendkey ret",
    },
];

/// Keys pressed on the PS/2 keyboard (through QEMU's monitor): keyboard driver -> console ->
/// shell, the same path as the serial line's bytes from the console on.
pub const KEYBOARD_SESSION: &[Keystrokes] = &[Keystrokes {
    after: "moat> ",
    send: "(qemu) sendkey e\nsendkey c\nsendkey h\nsendkey o\nsendkey spc\nsendkey shift-k\n\
           sendkey b\nsendkey d\nsendkey ret",
}];

/// Programs run from the disk: read through the file server, started by the supervisor;
/// one that faults is stopped alone, one that spins is stopped with Ctrl-C.
pub const PROGRAMS_SESSION: &[Keystrokes] = &[
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
/// driver, a flipped bit in a reply of the file server (seed 11 flips bit 29 of its status
/// word, which the client finds by the reply's seal and asks again), and one armed to fire
/// later. Whatever each does to its server, the kernel stays up and the shell answers at the
/// end.
pub const CORRUPTION_SESSION: &[Keystrokes] = &[
    Keystrokes { after: "moat> ", send: "inject console flipreg 0 7\r" },
    Keystrokes { after: "moat> ", send: "echo one\r" },
    Keystrokes { after: "moat> ", send: "inject serial flipmem 0 3\r" },
    Keystrokes { after: "moat> ", send: "echo two\r" },
    Keystrokes { after: "moat> ", send: "inject fs badreply 0 11\r" },
    Keystrokes { after: "moat> ", send: "cat README.TXT\r" },
    Keystrokes { after: "moat> ", send: "inject fs nullptr 3\r" },
    Keystrokes { after: "moat> ", send: "stress 5\r" },
    Keystrokes { after: "checksums match\nmoat> ", send: "echo still-standing\r" },
];

/// The same faults that the microkernel survives, in the monolithic flavour: a privileged
/// instruction in the console goes unnoticed (ring 0 may run it), and a null pointer in the
/// file server takes the whole kernel down.
pub const MONOLITHIC_FAULT_SESSION: &[Keystrokes] = &[
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
pub const CTRL_C_SESSION: &[Keystrokes] = &[
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
