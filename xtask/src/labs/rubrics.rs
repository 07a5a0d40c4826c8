//! What each lab is graded on: its tests, their points, and where a student should look.

use crate::faults::outcome::Outcome;

/// One graded test: its name, how it runs, its points, and where a student should look.
pub struct Item {
    pub test: &'static str,
    pub how: How,
    pub points: u32,
    pub hint: &'static str,
}

/// How a graded test runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum How {
    /// The in-guest test of that name, alone in a boot of the test kernel.
    Guest,
    /// A boot of the system, with a word drawn from the run's nonce typed on the PS/2
    /// keyboard at the shell's prompt (`echo WORD`): it must come back.
    TypedKeys,
    /// The service benchmark on the microkernel (`cargo xtask bench --flavor micro`, guest
    /// instructions under icount, so the same code always gives the same count): the median
    /// of `operation` must be at most `at_most`.
    Cost { operation: &'static str, at_most: u64 },
    /// The fault campaign's plan for `seed`, `runs` injections, aimed at `target` on the
    /// running system, scored by outcome (`whole::robustness_points`). The seed is fixed, so
    /// a grade can be repeated and every injection replayed.
    Robustness { target: &'static str, runs: usize, seed: u64, credit: Credit },
}

/// Which outcomes of an injection earn its share of a robustness part.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Credit {
    /// Back to full service without a reboot, even if the user saw an error (keys typed while
    /// a driver is down are gone whatever the driver does).
    Recovered,
    /// Nobody saw anything: every request made through the fault was answered as if it had
    /// not happened (what a client that repeats safe requests gives).
    Transparent,
}

impl Credit {
    /// Whether an injection with this outcome earns its share.
    pub fn earns(self, outcome: Outcome) -> bool {
        match self {
            Credit::Recovered => outcome.recovered(),
            Credit::Transparent => outcome == Outcome::Transparent,
        }
    }
}

/// An in-guest test.
const fn guest(test: &'static str, points: u32, hint: &'static str) -> Item {
    Item { test, how: How::Guest, points, hint }
}

/// Where lab 1's code is, for every one of its tests.
const LAB_1_HINT: &str = "the LAB 1 regions: the ring-3 segments in kernel/src/arch/x86_64/gdt.rs \
                          and what every return to ring 3 imposes in kernel/src/switch.rs";

/// A lab 1 test: a program runs in ring 3 and must be stopped when it reaches past it.
const fn lab_1(test: &'static str, points: u32) -> Item {
    guest(test, points, LAB_1_HINT)
}

/// What each lab is graded on.
pub const RUBRICS: &[(u32, &[Item])] = &[
    (
        1,
        &[
            lab_1("user::hello_runs_and_exits", 2),
            lab_1("user::privileged_cli", 1),
            lab_1("user::privileged_hlt", 1),
            lab_1("user::privileged_in", 1),
            lab_1("user::privileged_wrmsr", 1),
            lab_1("user::privileged_mov_cr3", 1),
            lab_1("user::page_fault_reading_kernel_memory", 1),
            lab_1("user::saved_flags_cannot_grant_port_access", 2),
        ],
    ),
    (
        2,
        &[Item {
            test: "syscalls::memory_info_reports_and_checks",
            how: How::Guest,
            points: 10,
            hint: "the LAB 2 regions: the number in libipc/src/abi.rs, the dispatch in \
               kernel/src/syscalls/mod.rs, the handler in kernel/src/syscalls/memory.rs \
               (copy out with copy_value_to_user) and the wrapper in libipc/src/sys.rs",
        }],
    ),
    (
        3,
        &[
            Item {
                test: "ipc::caller_learns_server_died",
                how: How::Guest,
                points: 5,
                hint: "the LAB 3 region in kernel/src/lifecycle.rs, tell_the_others: wake the \
                       tasks blocked on the dead one with DeadTask and its new id",
            },
            Item {
                test: "ipc::restart_gives_a_new_generation",
                how: How::Guest,
                points: 5,
                hint: "the LAB 3 region in kernel/src/lifecycle.rs, tell_the_others: raise \
                       TASK_ENDED_BIT at the tasks with the `faults` privilege",
            },
        ],
    ),
    (
        4,
        &[
            Item {
                test: "keyboard::typed_keys_reach_the_shell",
                how: How::TypedKeys,
                points: 10,
                hint: "the LAB 4 regions: draining the controller in \
                       servers/keyboard-core/src/controller.rs, and the interrupt's \
                       notification in servers/keyboard/src/main.rs (drain, decode, acknowledge \
                       the line, tell the console)",
            },
            Item {
                test: "keyboard::survives_its_own_faults",
                // A panic, a kill, a flipped register and a null pointer.
                how: How::Robustness {
                    target: "keyboard",
                    runs: 4,
                    seed: 25,
                    credit: Credit::Recovered,
                },
                points: 5,
                hint: "servers/keyboard/src/main.rs: a restarted driver must find the \
                       controller as the dead one left it; replay an injection with the \
                       `cargo xtask faults --replay ID` line above",
            },
            Item {
                test: "keyboard::survives_a_console_restart",
                // The console killed, then stopped by a null pointer.
                how: How::Robustness {
                    target: "console",
                    runs: 2,
                    seed: 7,
                    credit: Credit::Recovered,
                },
                points: 5,
                hint: "servers/keyboard/src/main.rs: after the console restarts, its old id is \
                       dead; find it again by name (ulib::client::notify_by_name)",
            },
        ],
    ),
    (
        5,
        &[
            guest(
                "ipc::a_request_costs_the_server_one_system_call",
                5,
                "the LAB 5 region in libipc/src/sys/serve.rs: answer the last request and \
                 take the next message in one reply_receive",
            ),
            guest(
                "ipc::a_safe_request_survives_a_restart",
                5,
                "the LAB 5 regions in servers/ulib/src/client.rs: on DeadTask forget the id, \
                 wait for the restart (wait_for_restart) and send a Retry::Safe request once more",
            ),
            Item {
                test: "ipc::file_requests_survive_file_server_faults",
                // A kill, a null pointer, a division by zero and a skipped system call.
                how: How::Robustness {
                    target: "fs",
                    runs: 4,
                    seed: 7,
                    credit: Credit::Transparent,
                },
                points: 10,
                hint: "servers/ulib/src/client.rs: every file request the shell makes through a \
                       fault must be answered as if there had been none",
            },
        ],
    ),
    (
        6,
        &[
            guest(
                "supervisor::a_crash_loop_backs_off_then_is_given_up",
                5,
                "the LAB 6 regions in servers/supervisor/src/main.rs: recent_restarts, and the \
                 policy in handle_end (never, the crash-loop limit, the doubling backoff)",
            ),
            guest(
                "supervisor::a_hung_server_is_killed_and_restarted",
                5,
                "the LAB 6 region in watch_for_hangs (servers/supervisor/src/main.rs): kill a \
                 server that ran HUNG_TICKS or more of the watchdog's interval",
            ),
            Item {
                test: "supervisor::the_disk_driver_comes_back_from_faults",
                // A kill, a privileged instruction, a stack overflow and a hang.
                how: How::Robustness {
                    target: "block",
                    runs: 4,
                    seed: 14,
                    credit: Credit::Recovered,
                },
                points: 10,
                hint: "servers/supervisor/src/main.rs: every way the disk driver stops (a \
                       fault, or a hang the watchdog must see) ends in a restart under its \
                       backoff policy",
            },
        ],
    ),
    (
        7,
        &[
            guest(
                "user::only_a_ports_holder_reaches_it_directly",
                10,
                "the LAB 7 regions in kernel/src/arch/x86_64/iomap.rs: on the way to a task, \
                 allow its manifest ports in the I/O permission bitmap and refuse the ones \
                 allowed before",
            ),
            Item {
                test: "bench::a_file_read_crosses_into_the_kernel_less",
                // With a cold cache, every sector comes from the disk: 52,000 instructions
                // with `in` and `out` in the driver, ten times more with a system call per port
                // access. (A warm read touches no port, so it cannot tell the two apart.)
                how: How::Cost { operation: "file_read_4k_cold", at_most: 150_000 },
                points: 5,
                hint: "the LAB 7 regions in servers/ulib/src/ports.rs: `in` and `out` in the \
                       driver itself, no system call per port access",
            },
            Item {
                test: "bench::a_restarted_disk_driver_gets_its_ports_again",
                // A stack overflow, two divisions by zero and a null pointer.
                how: How::Robustness {
                    target: "block",
                    runs: 4,
                    seed: 8,
                    credit: Credit::Transparent,
                },
                points: 5,
                hint: "kernel/src/arch/x86_64/iomap.rs: the task restarted in a slot is a new \
                       task; the bitmap must follow whichever task runs",
            },
        ],
    ),
];

/// A plausible but fragile solution of a lab: the solution with one piece replaced by what a
/// student might write instead. `lab check` grades it and requires that it loses points on
/// `weak_test` (the robustness part sees what the functional tests cannot) and on no other.
pub struct Fragile {
    pub lab: u32,
    pub file: &'static str,
    pub solution: &'static str,
    pub fragile: &'static str,
    pub weak_test: &'static str,
}

pub const FRAGILE: &[Fragile] = &[Fragile {
    lab: 4,
    file: "servers/keyboard/src/main.rs",
    solution: "console = ulib::client::notify_by_name(\"console\", console, INPUT_READY_BIT);",
    // Looks the console up once and keeps its id: after the console restarts, keys go to a
    // dead id and never reach the new one.
    fragile: "console = console.or_else(|| sys::lookup(\"console\").ok()); \
              if let Some(c) = console { let _ = sys::notify(c, INPUT_READY_BIT); }",
    weak_test: "keyboard::survives_a_console_restart",
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::workspace_root;

    #[test]
    fn each_fragile_solution_replaces_code_that_is_there() {
        for fragile in FRAGILE {
            let text = std::fs::read_to_string(workspace_root().join(fragile.file)).unwrap();
            assert_eq!(text.matches(fragile.solution).count(), 1, "{}", fragile.file);
            let rubric = RUBRICS.iter().find(|(lab, _)| *lab == fragile.lab).expect("graded");
            assert!(rubric.1.iter().any(|item| item.test == fragile.weak_test));
        }
    }
}
