//! Ring-3 scenarios: programs that behave, and programs that break every rule once.
//!
//! Each fault scenario runs the offending program beside `witness`, a task that yields in a
//! loop. It passes only if the offender was stopped with exactly the expected fault, the
//! witness is still alive and kept making system calls after the fault, and (checked by the
//! runner for every scenario) every frame the tasks used came back.

use super::TestResult;
use super::scenario::{Outcome, Scenario, WITNESS};
use crate::mm::layout::USER_STACK_BOTTOM;
use crate::state::Kernel;
use crate::task::TaskState;
use crate::{check, check_eq};
use libipc::FaultKind;

/// Page-fault error code bits (Intel SDM vol. 3, 4.7).
const PF_PRESENT: u64 = 1;
const PF_WRITE: u64 = 2;
const PF_USER: u64 = 4;

const KERNEL_ADDRESS: u64 = 0xffff_ffff_8000_0000;

macro_rules! fault_scenario {
    ($name:literal, $task:literal, $check:expr) => {
        Scenario {
            name: $name,
            tasks: &[WITNESS, $task],
            deadline: 300,
            prepare: None,
            check: $check,
        }
    };
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "user::hello_runs_and_exits",
        tasks: &["hello"],
        deadline: 300,
        prepare: None,
        check: hello_runs_and_exits,
    },
    // `task_info` is answered in the system call entry, unless a fault is armed at the
    // task's next system call: then the general path takes the call and the fault (a skip)
    // sends it back unanswered, which `hello` reports by exiting with 1.
    Scenario {
        name: "user::an_armed_entry_is_not_bypassed_by_the_lean_path",
        tasks: &["hello"],
        deadline: 300,
        prepare: Some(arm_skip_at_entry),
        check: |o| {
            check_eq!(o.task("hello")?.state, TaskState::Exited { code: 1 });
            Ok(())
        },
    },
    // The lean entry reads the task's record to decide: a call it passes on must reach the
    // general path with every register as the task left it (`skip` returns them so).
    Scenario {
        name: "user::a_skipped_call_leaves_every_register_as_it_was",
        tasks: &["client-skipped"],
        deadline: 300,
        prepare: Some(arm_skip_at_entry),
        check: |o| super::ipc::exited_cleanly(o, "client-skipped"),
    },
    Scenario {
        name: "user::sleep_wakes_on_time",
        tasks: &["sleeper"],
        deadline: 300,
        prepare: None,
        check: sleep_wakes_on_time,
    },
    Scenario {
        name: "user::timer_preempts_cpu_bound_tasks",
        tasks: &["spin-a", "spin-b"],
        deadline: 3000,
        prepare: None,
        check: timer_preempts_cpu_bound_tasks,
    },
    // Its calls wait up to a tick each. When it runs first (`cargo xtask test fuzzer`), task
    // ids it makes up at random name live tasks more often (every slot is still at generation
    // 0), more of its calls wait, and it takes about 63 s of guest time instead of 26.
    Scenario {
        name: "user::fuzzer_survives_100000_syscalls",
        tasks: &[WITNESS, "fuzz"],
        deadline: 12000,
        prepare: None,
        check: |outcome| fuzzer_survives(outcome, "fuzz", 100_000),
    },
    // The same for ten times as long: about four minutes of guest time, so only on request
    // (`cargo xtask test long:: --timeout 1800`).
    Scenario {
        name: "long::fuzzer_survives_a_million_syscalls",
        tasks: &[WITNESS, "fuzz-long"],
        deadline: 120_000,
        prepare: None,
        check: |outcome| fuzzer_survives(outcome, "fuzz-long", 1_000_000),
    },
    fault_scenario!("user::fault_divide_by_zero", "f-divzero", |o| faulted(
        o,
        "f-divzero",
        FaultKind::DivideError
    )),
    fault_scenario!("user::fault_invalid_opcode", "f-ud2", |o| faulted(
        o,
        "f-ud2",
        FaultKind::InvalidOpcode
    )),
    fault_scenario!("user::fault_breakpoint", "f-int3", |o| faulted(
        o,
        "f-int3",
        FaultKind::Breakpoint
    )),
    // The trap comes from ring 3 with RFLAGS.AC set: the entry must clear it (a debug kernel
    // asserts so in `trap::dispatch`, and would stop here).
    fault_scenario!(
        "user::a_trap_does_not_bring_the_alignment_flag_into_the_kernel",
        "f-align-int3",
        |o| { faulted(o, "f-align-int3", FaultKind::Breakpoint) }
    ),
    // A task that sets the trap flag itself gets a debug trap nobody asked the kernel to count
    // (`research::midway`): its own fault, like any other.
    fault_scenario!("user::a_trap_flag_the_task_sets_is_its_own_fault", "f-trap-flag", |o| {
        faulted(o, "f-trap-flag", FaultKind::Debug)
    }),
    // Faults that fire midway count the task's own instructions: two copies of one loop of
    // three instructions (one a `yield`), killed after 20,000 and 20,030 of them, end with
    // exactly ten system calls between them, whatever the kernel did in between.
    Scenario {
        name: "user::a_midway_fault_counts_the_tasks_own_instructions",
        tasks: &[WITNESS, "steps-a", "steps-b"],
        deadline: 600,
        prepare: Some(arm_midway_kills),
        check: |o| {
            let (a, b) = (o.task("steps-a")?, o.task("steps-b")?);
            check_eq!(a.state, TaskState::Killed);
            check_eq!(b.state, TaskState::Killed);
            check_eq!(b.stats.syscalls - a.stats.syscalls, MIDWAY_TURNS);
            Ok(())
        },
    },
    fault_scenario!("user::privileged_cli", "f-cli", |o| faulted(
        o,
        "f-cli",
        FaultKind::GeneralProtection
    )),
    fault_scenario!("user::privileged_hlt", "f-hlt", |o| faulted(
        o,
        "f-hlt",
        FaultKind::GeneralProtection
    )),
    fault_scenario!("user::privileged_in", "f-in", |o| faulted(
        o,
        "f-in",
        FaultKind::GeneralProtection
    )),
    fault_scenario!("user::privileged_out", "f-out", |o| faulted(
        o,
        "f-out",
        FaultKind::GeneralProtection
    )),
    fault_scenario!("user::privileged_mov_cr3", "f-cr3", |o| faulted(
        o,
        "f-cr3",
        FaultKind::GeneralProtection
    )),
    fault_scenario!("user::privileged_wrmsr", "f-wrmsr", |o| faulted(
        o,
        "f-wrmsr",
        FaultKind::GeneralProtection
    )),
    // A saved frame that grants I/O privilege (IOPL 3), as a corrupted or forged frame might:
    // the return to ring 3 must take it away again, so `in` still faults.
    Scenario {
        name: "user::saved_flags_cannot_grant_port_access",
        tasks: &[WITNESS, "f-in"],
        deadline: 300,
        prepare: Some(grant_port_access),
        check: |o| faulted(o, "f-in", FaultKind::GeneralProtection),
    },
    // The I/O permission bitmap: `port-own` reads the port its manifest grants with `in`
    // itself and exits 0; `f-port-other`, holding the same ports, reaches for another and is
    // stopped, as is `f-port-next`, which reaches for the port right after them (a bit of the
    // same byte of the bitmap); `f-port-after`, holding none, reaches for `port-own`'s after
    // it ran and is stopped too (the bitmap follows the task that runs).
    Scenario {
        name: "user::only_a_ports_holder_reaches_it_directly",
        tasks: &[WITNESS, "port-own", "f-port-other", "f-port-next", "f-port-after"],
        deadline: 300,
        prepare: None,
        check: only_the_holder_reaches_its_port,
    },
    fault_scenario!("user::page_fault_null_pointer", "f-null", |o| {
        page_fault(o, "f-null", PF_USER, |address| address == 0)
    }),
    fault_scenario!("user::page_fault_reading_kernel_memory", "f-kernel-read", |o| {
        page_fault(o, "f-kernel-read", PF_USER | PF_PRESENT, |address| address == KERNEL_ADDRESS)
    }),
    fault_scenario!("user::page_fault_writing_kernel_memory", "f-kernel-write", |o| {
        page_fault(o, "f-kernel-write", PF_USER | PF_PRESENT | PF_WRITE, |address| {
            address == KERNEL_ADDRESS
        })
    }),
    fault_scenario!("user::page_fault_writing_own_code", "f-code-write", |o| {
        page_fault(o, "f-code-write", PF_USER | PF_PRESENT | PF_WRITE, |address| {
            (0x40_0000..0x50_0000).contains(&address)
        })
    }),
    fault_scenario!("user::page_fault_stack_overflow_into_guard_page", "f-stack-overflow", |o| {
        page_fault(o, "f-stack-overflow", PF_USER | PF_WRITE, |address| {
            (USER_STACK_BOTTOM - 4096..USER_STACK_BOTTOM).contains(&address)
        })
    }),
    // No alignment-check scenario: QEMU's TCG does not raise #AC (the `fault align` program
    // survives there), so it could only pass by not testing anything. On hardware #AC takes
    // the same path as every exception above: `trap::dispatch` -> `lifecycle::fault_current`.
    fault_scenario!("user::sse_is_disabled", "f-sse", |o| faulted(
        o,
        "f-sse",
        FaultKind::InvalidOpcode
    )),
    fault_scenario!("user::x87_is_disabled", "f-x87", |o| faulted(
        o,
        "f-x87",
        FaultKind::DeviceNotAvailable
    )),
];

/// RFLAGS.IOPL: the privilege level at or above which `in`, `out`, `cli` and `sti` are allowed.
const RFLAGS_IOPL_3: u64 = 3 << 12;

/// Arms a fault at the next system call of the scenario's first task, before its first run.
fn arm_skip_at_entry(kernel: &mut Kernel, slots: &[usize]) {
    kernel.tasks[slots[0]].research.arm(crate::research::record::Point::SyscallEntry);
}

/// Instructions `steps-a` runs before its midway `kill`: its start-up, then its loop.
const MIDWAY_INSTRUCTIONS: u32 = 20_000;
/// Turns of the three-instruction loop `steps-b` runs more than `steps-a` before its `kill`.
const MIDWAY_TURNS: u64 = 10;

/// Arms a midway `kill` in `steps-a` and `steps-b` (slots 1 and 2), `MIDWAY_TURNS` turns of
/// their loop apart.
fn arm_midway_kills(kernel: &mut Kernel, slots: &[usize]) {
    use crate::research::{midway, record::Injection};
    let kill = Injection { kind: libipc::abi::INJECT_KILL, after: 0, seed: 0 };
    let later = MIDWAY_INSTRUCTIONS + 3 * MIDWAY_TURNS as u32;
    midway::arm(kernel, slots[1], kill, MIDWAY_INSTRUCTIONS);
    midway::arm(kernel, slots[2], kill, later);
}

/// Sets IOPL 3 in the saved registers of the scenario's second task before its first run.
fn grant_port_access(kernel: &mut Kernel, slots: &[usize]) {
    kernel.tasks[slots[1]].saved.rflags |= RFLAGS_IOPL_3;
}

fn only_the_holder_reaches_its_port(outcome: &Outcome) -> TestResult {
    let own = outcome.task("port-own")?;
    if own.state != (TaskState::Exited { code: 0 }) {
        return Err(alloc::format!(
            "port-own could not read the port it holds with `in` ({}): the kernel did not open \
             it in the I/O permission bitmap",
            own.state
        ));
    }
    faulted(outcome, "f-port-other", FaultKind::GeneralProtection)?;
    faulted(outcome, "f-port-next", FaultKind::GeneralProtection)?;
    faulted(outcome, "f-port-after", FaultKind::GeneralProtection)
}

fn hello_runs_and_exits(outcome: &Outcome) -> TestResult {
    let hello = outcome.task("hello")?;
    check_eq!(hello.state, TaskState::Exited { code: 0 });
    // "Hello from ring 3! I am task ..." went through debug_write.
    check!(hello.stats.bytes_written > 40, "wrote only {} bytes", hello.stats.bytes_written);
    check!(hello.stats.syscalls >= 4, "made only {} system calls", hello.stats.syscalls);
    Ok(())
}

/// The program checks its own wake-up times (exit code 0 = never early, at most 2 ticks late).
fn sleep_wakes_on_time(outcome: &Outcome) -> TestResult {
    let sleeper = outcome.task("sleeper")?;
    check_eq!(sleeper.state, TaskState::Exited { code: 0 });
    check!(outcome.elapsed >= 3 * 7, "three sleeps of 7 ticks took {} ticks", outcome.elapsed);
    Ok(())
}

/// Neither spinner yields, so if the second had any CPU time before the first finished, the
/// timer must have taken the CPU away from the first.
fn timer_preempts_cpu_bound_tasks(outcome: &Outcome) -> TestResult {
    let a = outcome.task("spin-a")?;
    let b = outcome.task("spin-b")?;
    check_eq!(a.state, TaskState::Exited { code: 0 });
    check_eq!(b.state, TaskState::Exited { code: 0 });
    let first = if a.others_ticks_at_end <= b.others_ticks_at_end { a } else { b };
    check!(
        first.others_ticks_at_end > 0,
        "{} finished before the other spinner ran at all",
        first.name
    );
    check!(a.stats.ticks > 0 && b.stats.ticks > 0);
    Ok(())
}

fn fuzzer_survives(outcome: &Outcome, task: &str, calls: u64) -> TestResult {
    let fuzz = outcome.task(task)?;
    // Exit code 0: every answer the fuzzer could check was right.
    check_eq!(fuzz.state, TaskState::Exited { code: 0 });
    check!(fuzz.stats.syscalls >= calls, "only {} system calls", fuzz.stats.syscalls);
    witness_survived(outcome)
}

/// `task` was stopped with `kind`, and the witness outlived it.
fn faulted(outcome: &Outcome, task: &str, kind: FaultKind) -> TestResult {
    let TaskState::Faulted(record) = outcome.task(task)?.state else {
        return Err(alloc::format!(
            "{task} was not stopped by a fault ({})",
            outcome.task(task)?.state
        ));
    };
    check_eq!(record.kind, kind);
    check!(
        record.rip >= 0x40_0000 && record.rip < 0x50_0000,
        "fault rip {:#x} is not in the program",
        record.rip
    );
    witness_survived(outcome)
}

/// `task` was stopped by a page fault with these error-code bits at an address `where_ok`
/// accepts, and the witness outlived it.
fn page_fault(
    outcome: &Outcome,
    task: &str,
    error_code: u64,
    where_ok: fn(u64) -> bool,
) -> TestResult {
    faulted(outcome, task, FaultKind::PageFault)?;
    let TaskState::Faulted(record) = outcome.task(task)?.state else { unreachable!() };
    check_eq!(record.error_code & 0x7, error_code);
    check!(where_ok(record.address), "fault address {:#x}", record.address);
    Ok(())
}

fn witness_survived(outcome: &Outcome) -> TestResult {
    let witness = outcome.task(WITNESS)?;
    check!(witness.state.is_alive(), "the witness ended: {:?}", witness.state);
    let at_fault = outcome.witness_calls_at_first_end.ok_or("no task ended")?;
    check!(
        witness.stats.syscalls > at_fault,
        "the witness made no system call after the fault ({} then, {} at the end)",
        at_fault,
        witness.stats.syscalls
    );
    Ok(())
}
