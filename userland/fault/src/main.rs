//! Does one forbidden thing, named by its argument, so the tests can check that the kernel
//! stops exactly this task with the right fault record and nothing else is disturbed.
//!
//! Every fault is a single instruction in `asm!`, so the compiler cannot reason it away.

#![no_std]
#![no_main]

use core::arch::asm;
use ulib::println;

ulib::entry!(main);

/// A kernel address: mapped in every address space, but only for ring 0.
const KERNEL_ADDRESS: u64 = 0xffff_ffff_8000_0000;

/// The real-time clock's data port: harmless to read, and granted to some test tasks.
const RTC_DATA_PORT: u16 = 0x71;

/// The kinds this program commits, and the names `inject` uses for the same faults.
const KINDS: &str = "divzero ud2 int3 cli hlt in out cr3 wrmsr null kernel-read kernel-write \
                     code-write align align-int3 sse x87 stack-overflow port-own port-next \
                     trap-flag yield-loop";
const INJECT_NAMES: [(&str, &str); 4] =
    [("nullptr", "null"), ("privileged", "cli"), ("stack", "stack-overflow"), ("panic", "panic")];

fn main(argument: &str) -> u64 {
    let named = argument.trim();
    let kind = INJECT_NAMES.iter().find(|(name, _)| *name == named).map_or(named, |(_, kind)| kind);
    if kind.is_empty() {
        println!("usage: fault KIND; the kinds are: {KINDS}, panic");
        println!("(inject's names work too: nullptr, privileged, stack, panic)");
        return 2;
    }
    println!("about to commit: {kind}");
    if kind == "panic" {
        panic!("a deliberate panic (fault panic)");
    }
    if kind == "port-own" {
        // Allowed only if the kernel opened the port to this task in the I/O bitmap.
        let value = ulib::ports::read(RTC_DATA_PORT, 1);
        println!("read {value:#x} from port {RTC_DATA_PORT:#x} with `in` itself");
        return 0;
    }
    if kind == "stack-overflow" {
        let depth = recurse(0);
        println!("recursion returned {depth}");
    } else if !commit(kind) {
        println!("there is no fault kind {kind}; the kinds are: {KINDS}, panic");
        return 2;
    }
    println!("still alive after {kind}: the kernel did not stop me");
    1
}

/// Executes the faulting instruction for `kind`; false for an unknown kind.
fn commit(kind: &str) -> bool {
    // SAFETY: each instruction below traps into the kernel, which stops this task; none can
    // corrupt memory, because the access or instruction is refused before it takes effect.
    unsafe {
        match kind {
            "divzero" => {
                asm!("xor edx, edx", "mov eax, 1", "xor ecx, ecx", "div ecx", out("eax") _, out("ecx") _, out("edx") _)
            }
            "ud2" => asm!("ud2"),
            "int3" => asm!("int3"),
            "cli" => asm!("cli"),
            "hlt" => asm!("hlt"),
            "in" => asm!("in al, dx", in("dx") 0x60u16, out("al") _),
            // The port just past the RTC's two, whose bits share a byte of the bitmap with them.
            "port-next" => asm!("in al, dx", in("dx") RTC_DATA_PORT + 1, out("al") _),
            "out" => asm!("out dx, al", in("dx") 0x80u16, in("al") 0u8),
            "cr3" => asm!("mov cr3, {}", in(reg) 0u64),
            "wrmsr" => asm!("wrmsr", in("ecx") 0xc000_0080u32, in("eax") 0u32, in("edx") 0u32),
            "null" => asm!("mov {}, qword ptr [0]", out(reg) _),
            "kernel-read" => asm!("mov {}, qword ptr [{}]", out(reg) _, in(reg) KERNEL_ADDRESS),
            "kernel-write" => asm!("mov qword ptr [{}], 0", in(reg) KERNEL_ADDRESS),
            "code-write" => asm!("mov byte ptr [{}], 0xc3", in(reg) main as *const () as u64),
            // Set RFLAGS.AC, then load a quadword from an odd address. (QEMU's TCG ignores AC.)
            "align" => {
                asm!("pushfq", "or qword ptr [rsp], 0x40000", "popfq", "mov {}, qword ptr [rsp - 7]", out(reg) _)
            }
            // Set RFLAGS.AC, then trap: the kernel must not run the trap with AC set.
            "align-int3" => asm!("pushfq", "or qword ptr [rsp], 0x40000", "popfq", "int3"),
            // xorps xmm0, xmm0 and fld1, as bytes: the program is built without SSE or x87.
            // Set RFLAGS.TF: the CPU traps after the next instruction, which nobody asked the
            // kernel to count, so the trap is this task's fault.
            "trap-flag" => asm!("pushfq", "or qword ptr [rsp], 0x100", "popfq", "nop"),
            // Not a fault: `yield` for ever, in a loop of exactly three instructions, for the
            // tests that count a task's instructions (faults that fire midway).
            "yield-loop" => asm!(
                "2: mov eax, {yield_now}",
                "syscall",
                "jmp 2b",
                yield_now = const libipc::Sysnum::Yield as u32,
                options(noreturn)
            ),
            "sse" => asm!(".byte 0x0f, 0x57, 0xc0"),
            "x87" => asm!(".byte 0xd9, 0xe8"),
            _ => return false,
        }
    }
    true
}

/// Uses 512 bytes of stack per level until the stack runs into its guard page.
fn recurse(depth: u64) -> u64 {
    let frame = core::hint::black_box([depth; 64]);
    if depth == u64::MAX {
        return frame[0];
    }
    recurse(depth + 1).wrapping_add(frame[1])
}
