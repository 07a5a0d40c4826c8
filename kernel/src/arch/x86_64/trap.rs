//! What happens after the entry stubs: exceptions and device interrupts, handled in Rust.
//!
//! Exceptions are synchronous (the running code caused them); device interrupts arrive from
//! the PIC whenever they like. In the kernel, only a breakpoint, an NMI, a page fault at a
//! `probe` instruction and (monolithic flavour) the debug traps that count a built-in
//! service's instructions for a midway fault are expected; any other exception in ring 0 is a
//! kernel bug, reported with the full register state before the kernel stops.

use super::trap_frame::TrapFrame;
use super::{cpu, pic, pit, probe};
use crate::task::FaultRecord;
use core::sync::atomic::{AtomicU64, Ordering};
use libipc::FaultKind;

const FIRST_IRQ_VECTOR: u64 = 32;
const DEBUG: u64 = 1;
const BREAKPOINT: u64 = 3;
const NMI: u64 = 2;
const DOUBLE_FAULT: u64 = 8;
const PAGE_FAULT: u64 = 14;
const MACHINE_CHECK: u64 = 18;

/// Mnemonic and name of each CPU exception vector, from the Intel SDM, volume 3, table 6-1.
const EXCEPTION_NAMES: [(&str, &str); 32] = [
    ("#DE", "divide error"),
    ("#DB", "debug"),
    ("NMI", "non-maskable interrupt"),
    ("#BP", "breakpoint"),
    ("#OF", "overflow"),
    ("#BR", "bound range exceeded"),
    ("#UD", "invalid opcode"),
    ("#NM", "device not available"),
    ("#DF", "double fault"),
    ("-", "coprocessor segment overrun"),
    ("#TS", "invalid TSS"),
    ("#NP", "segment not present"),
    ("#SS", "stack-segment fault"),
    ("#GP", "general protection"),
    ("#PF", "page fault"),
    ("-", "reserved (15)"),
    ("#MF", "x87 floating-point error"),
    ("#AC", "alignment check"),
    ("#MC", "machine check"),
    ("#XM", "SIMD floating-point error"),
    ("#VE", "virtualization exception"),
    ("#CP", "control protection"),
    ("-", "reserved (22)"),
    ("-", "reserved (23)"),
    ("-", "reserved (24)"),
    ("-", "reserved (25)"),
    ("-", "reserved (26)"),
    ("-", "reserved (27)"),
    ("#HV", "hypervisor injection"),
    ("#VC", "VMM communication"),
    ("#SX", "security exception"),
    ("-", "reserved (31)"),
];

static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);
/// Non-maskable interrupts seen (QEMU sends none unless asked to).
static NMIS: AtomicU64 = AtomicU64::new(0);
static UNEXPECTED_IRQS: AtomicU64 = AtomicU64::new(0);

/// How many breakpoint exceptions the kernel has handled.
#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
pub fn breakpoint_count() -> u64 {
    BREAKPOINTS.load(Ordering::Relaxed)
}

#[cfg_attr(not(feature = "guest-tests"), allow(dead_code))] // used by the in-guest tests
/// Interrupts from lines nobody handles (now masked again), spurious ones included.
pub fn unexpected_irq_count() -> u64 {
    UNEXPECTED_IRQS.load(Ordering::Relaxed)
}

/// Entry from `trap_entry`: every vector lands here with interrupts disabled. Returns the
/// frame to resume: `frame` itself, or another task's registers after a task switch.
///
/// From ring 3, `frame` is the running task's `Task::saved` (or, for an NMI or a double fault,
/// on that vector's own stack): it is read here only through the pointer, before the kernel's
/// state is locked, and the kernel reaches the registers through the task record after that.
/// From ring 0 it is on the kernel stack, and the exception handlers may change it.
pub fn dispatch(frame: *mut TrapFrame) -> *const TrapFrame {
    // SAFETY: the entry passes the frame it has just saved; nothing refers to it now.
    let (vector, from_user) = unsafe { ((*frame).vector, (*frame).cs & 3 == 3) };
    debug_assert!(!cpu::alignment_flag_set(), "a trap entered the kernel with RFLAGS.AC set");
    match vector {
        // Counted, not logged: the NMI may have interrupted the serial port's lock holder. It
        // runs on its own stack, so it must not switch tasks either (hence the return).
        NMI => {
            NMIS.fetch_add(1, Ordering::Relaxed);
            return frame;
        }
        // SAFETY: on its own stack (IST); nothing else refers to it.
        DOUBLE_FAULT | MACHINE_CHECK => kernel_exception(unsafe { &*frame }),
        // A mutated instruction, watched, about to run (in a task or the kernel).
        DEBUG if crate::research::mutate::on_debug_trap(from_user) => {}
        // One instruction of a task the kernel single-steps for a fault that fires midway.
        DEBUG if from_user && crate::research::midway::on_single_step() => {}
        // The task did something wrong: stop it, keep a record, run someone else.
        vector if vector < FIRST_IRQ_VECTOR && from_user => {
            // SAFETY: as above; read before the kernel's state is locked.
            let record = fault_record(unsafe { &*frame });
            crate::lifecycle::fault_current(record)
        }
        vector if vector >= FIRST_IRQ_VECTOR => {
            device_interrupt((vector - FIRST_IRQ_VECTOR) as u8, from_user)
        }
        // SAFETY: from ring 0, the frame is on the kernel stack, below nothing that refers to
        // it.
        _ => kernel_trap(unsafe { &mut *frame }),
    }
    if from_user {
        return crate::switch::return_to_user();
    }
    frame
}

/// Entry from the `syscall` instruction, once the caller's registers are in its record.
///
/// # Safety
/// Only from the `syscall` entry (`system_call_rust`): a system call from ring 3, interrupts
/// off.
pub unsafe fn system_call() -> *const TrapFrame {
    debug_assert!(
        !cpu::alignment_flag_set(),
        "a system call entered the kernel with RFLAGS.AC set"
    );
    // SAFETY: the caller's promise is `handle`'s.
    unsafe { crate::syscalls::handle() }
}

/// An exception in ring 0: a breakpoint, a probe's page fault, a counted instruction of a
/// built-in service, or a kernel bug.
fn kernel_trap(frame: &mut TrapFrame) {
    // One instruction of a built-in service counted for a midway fault.
    if frame.vector == DEBUG && crate::services::on_kernel_step(frame) {
        return;
    }
    if frame.vector == BREAKPOINT {
        BREAKPOINTS.fetch_add(1, Ordering::Relaxed);
        log::debug!("breakpoint at {:#x}", frame.rip - 1);
    } else if !(frame.vector == PAGE_FAULT && probe::recover(frame)) {
        kernel_exception(frame);
    }
}

/// What a ring-3 exception says about the task that caused it.
fn fault_record(frame: &TrapFrame) -> FaultRecord {
    FaultRecord {
        kind: FaultKind::from_vector(frame.vector as u8),
        error_code: frame.error_code,
        rip: frame.rip,
        address: if frame.vector == PAGE_FAULT { cpu::fault_address() } else { 0 },
    }
}

fn device_interrupt(line: u8, from_user: bool) {
    if pic::is_spurious(line) {
        UNEXPECTED_IRQS.fetch_add(1, Ordering::Relaxed);
        return;
    }
    if line == pit::IRQ_LINE {
        crate::time::tick();
        pic::end_of_interrupt(line);
        crate::lifecycle::timer_tick(from_user);
        return;
    }
    // A driver's line: the scheduler masks it and notifies the owner, who acknowledges it
    // with `irq_ack` once the device is handled. Nobody's line: counted and masked again.
    if !crate::interrupts::interrupt(line) {
        UNEXPECTED_IRQS.fetch_add(1, Ordering::Relaxed);
        pic::mask(line);
    }
    pic::end_of_interrupt(line);
}

/// An exception the kernel cannot recover from: print everything, then stop.
fn kernel_exception(frame: &TrapFrame) -> ! {
    // The report must get out even if the fault hit while the serial port was locked.
    cpu::disable_interrupts();
    super::serial::unlock_for_panic();
    let (mnemonic, name) = EXCEPTION_NAMES[frame.vector as usize];
    let mode = if frame.cs & 3 == 0 { "kernel" } else { "user" };
    crate::println!("");
    crate::println!("EXCEPTION: {name} ({mnemonic}, vector {}) in {mode} mode", frame.vector);
    crate::println!("  error code {:#x}", frame.error_code);
    if frame.vector == PAGE_FAULT {
        crate::println!(
            "  cr2 {:#018x} ({})",
            cpu::fault_address(),
            describe_page_fault(frame.error_code)
        );
    }
    print_registers(frame);
    panic!("unhandled {name} in {mode} mode at {:#x}", frame.rip);
}

/// The page-fault error code bits in words (Intel SDM vol. 3, 4.7).
fn describe_page_fault(code: u64) -> &'static str {
    match (code & 1 != 0, code & 2 != 0, code & 16 != 0) {
        (_, _, true) => "instruction fetch",
        (false, false, _) => "read of a non-present page",
        (false, true, _) => "write to a non-present page",
        (true, false, _) => "read denied by page protection",
        (true, true, _) => "write denied by page protection",
    }
}

fn print_registers(f: &TrapFrame) {
    crate::println!("  rip {:#018x}  cs  {:#06x}  rflags {:#010x}", f.rip, f.cs, f.rflags);
    crate::println!("  rsp {:#018x}  ss  {:#06x}", f.rsp, f.ss);
    crate::println!("  rax {:#018x}  rbx {:#018x}  rcx {:#018x}", f.rax, f.rbx, f.rcx);
    crate::println!("  rdx {:#018x}  rsi {:#018x}  rdi {:#018x}", f.rdx, f.rsi, f.rdi);
    crate::println!("  rbp {:#018x}  r8  {:#018x}  r9  {:#018x}", f.rbp, f.r8, f.r9);
    crate::println!("  r10 {:#018x}  r11 {:#018x}  r12 {:#018x}", f.r10, f.r11, f.r12);
    crate::println!("  r13 {:#018x}  r14 {:#018x}  r15 {:#018x}", f.r13, f.r14, f.r15);
}
