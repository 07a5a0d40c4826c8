//! Code mutations, as MINIX 3's fault-injection campaigns made them: one instruction of a
//! server's own code changed on purpose, chosen by a seed. The kernel only writes the bytes
//! (`inject NAME mutate ADDRESS BYTES`); choosing them needs an x86 decoder, so it happens
//! here, on the host, from the very program (or kernel) the campaign booted.
//!
//! Five kinds, each a small programming error the hardware cannot see at once:
//! - `skip`: the instruction becomes `nop`s (a forgotten statement);
//! - `register`: one of its general-purpose registers is another (a wrong variable);
//! - `operand`: one bit of its immediate changes (a wrong constant, an off-by-one);
//! - `pointer`: one bit of its memory displacement, or its base register, changes (a bad
//!   pointer);
//! - `condition`: a conditional jump, move or set tests the opposite (an inverted test).

use super::outcome::{Flavor, SplitMix64, TARGETS};
use crate::images::Images;
use iced_x86::{
    ConditionCode, ConstantOffsets, Decoder, DecoderOptions, Encoder, Formatter, Instruction,
    IntelFormatter, Mnemonic, OpKind, Register,
};
use kernel_core::layout::KERNEL_BASE;
use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

/// The kinds of mutation, in the order a seed picks them.
pub const MUTATIONS: [&str; 5] = ["skip", "register", "operand", "pointer", "condition"];

/// What code a mutation into each server may change: besides the server's own crate (in the
/// monolithic kernel, its module `kernel::services::builtin::NAME`), these crates of driver
/// and file-system logic.
const SERVICE_CRATES: [(&str, &[&str]); 5] = [
    ("serial", &["uart_16550"]),
    ("console", &["console_core"]),
    ("keyboard", &["keyboard_core", "pc_keyboard"]),
    ("block", &["ata_core"]),
    ("fs", &["fs_core", "embedded_sdmmc"]),
];

/// The `x86_64` encoding of `nop`: what a skipped instruction and a shorter encoding leave.
const NOP: u8 = 0x90;

/// The crate paths whose functions belong to `target`: `fs` and its crates in a program, or
/// the kernel's module for it and the same crates in the monolithic kernel.
pub fn owners(target: &str, in_kernel: bool) -> Vec<String> {
    let own = if in_kernel {
        format!("kernel::services::builtin::{target}::")
    } else {
        format!("{target}::")
    };
    let crates = SERVICE_CRATES.iter().find(|(name, _)| *name == target).map_or(&[][..], |c| c.1);
    std::iter::once(own).chain(crates.iter().map(|c| format!("{c}::"))).collect()
}

/// One change to a server's code: the bytes to write and what they mean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mutation {
    /// One of `MUTATIONS`.
    pub kind: &'static str,
    pub address: u64,
    pub bytes: Vec<u8>,
    /// The instruction before and after, in Intel syntax.
    pub before: String,
    pub after: String,
    /// The function it is in, demangled.
    pub function: String,
}

impl Mutation {
    /// The shell command that makes it.
    pub fn command(&self, target: &str) -> String {
        let hex: String = self.bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("inject {target} mutate {:#x} {hex}", self.address)
    }

    /// A sentence for the campaign's notes.
    pub fn describe(&self) -> String {
        format!(
            "mutation {}: `{}` became `{}` at {:#x} in {}",
            self.kind, self.before, self.after, self.address, self.function
        )
    }
}

/// The code of every server a campaign may mutate, read once from the images it booted: each
/// server's program in the microkernel system, the kernel itself in the monolithic one.
#[derive(Default)]
pub struct CodeBook {
    servers: Vec<(&'static str, Result<Code, String>)>,
}

impl CodeBook {
    pub fn read(flavor: Flavor, images: &Images) -> Result<CodeBook, String> {
        let kernel = std::fs::read(&images.kernel);
        let servers = TARGETS
            .iter()
            .map(|&target| {
                let code = match flavor {
                    Flavor::Monolithic => match &kernel {
                        Ok(image) => Code::read(image, KERNEL_BASE, &owners(target, true)),
                        Err(e) => Err(format!("{}: {e}", images.kernel.display())),
                    },
                    Flavor::Micro => match images.tasks.iter().find(|(name, _)| name == target) {
                        Some((_, path)) => std::fs::read(path)
                            .map_err(|e| format!("{}: {e}", path.display()))
                            .and_then(|image| Code::read(&image, 0, &owners(target, false))),
                        None => Err("no such program among the boot tasks".to_owned()),
                    },
                };
                code.map(|code| (target, Ok(code)))
                    .map_err(|why| format!("mutations into {target}: {why}"))
            })
            .collect::<Result<_, String>>()?;
        Ok(CodeBook { servers })
    }

    /// The mutation `seed` names in `target`'s code, or why there is none.
    pub fn mutation(&self, target: &str, seed: u64) -> Result<Mutation, String> {
        match self.servers.iter().find(|(name, _)| *name == target) {
            Some((_, Ok(code))) => {
                code.mutate(seed).ok_or_else(|| "no instruction takes it".into())
            }
            Some((_, Err(why))) => Err(format!("the code of {target} could not be read: {why}")),
            None => Err(format!("{target} is not a server faults go into")),
        }
    }
}

/// One instruction a mutation may change.
struct Site {
    instruction: Instruction,
    offsets: ConstantOffsets,
    bytes: Vec<u8>,
    /// Index into `Code::functions`.
    function: usize,
}

/// The instructions of one server's own functions, decoded.
pub struct Code {
    sites: Vec<Site>,
    functions: Vec<String>,
}

impl Code {
    /// Decodes the functions of the ELF file `image` whose demangled names start with one of
    /// `owners` (after any `<` and `&`), at the addresses they run at (`load_base` plus the
    /// file's, for the kernel, which is position-independent).
    pub fn read(image: &[u8], load_base: u64, owners: &[String]) -> Result<Code, String> {
        let file = object::File::parse(image).map_err(|e| format!("not an ELF file: {e}"))?;
        let mut code = Code { sites: Vec::new(), functions: Vec::new() };
        let mut seen = std::collections::BTreeSet::new();
        for symbol in file.symbols() {
            if symbol.kind() != SymbolKind::Text || symbol.size() == 0 {
                continue;
            }
            let Ok(name) = symbol.name() else { continue };
            let name = format!("{:#}", rustc_demangle::demangle(name));
            let path = name.trim_start_matches(['<', '&']).trim_start_matches("mut ");
            if !owners.iter().any(|owner| path.starts_with(owner.as_str())) {
                continue;
            }
            // Aliases name the same code once.
            if !seen.insert(symbol.address()) {
                continue;
            }
            let Some(section) = symbol.section_index().and_then(|i| file.section_by_index(i).ok())
            else {
                continue;
            };
            let Ok(Some(bytes)) = section.data_range(symbol.address(), symbol.size()) else {
                continue;
            };
            code.functions.push(name);
            code.decode(bytes, load_base + symbol.address(), code.functions.len() - 1);
        }
        if code.sites.is_empty() {
            return Err(format!("no function of {} in it", owners.join(", ")));
        }
        Ok(code)
    }

    fn decode(&mut self, bytes: &[u8], address: u64, function: usize) {
        let mut decoder = Decoder::with_ip(64, bytes, address, DecoderOptions::NONE);
        let start = address;
        while decoder.can_decode() {
            let instruction = decoder.decode();
            if instruction.is_invalid() {
                continue;
            }
            let offsets = decoder.get_constant_offsets(&instruction);
            let at = (instruction.ip() - start) as usize;
            let bytes = bytes[at..at + instruction.len()].to_vec();
            self.sites.push(Site { instruction, offsets, bytes, function });
        }
    }

    /// The mutation `seed` names: a kind, then an instruction that kind applies to, then the
    /// change (which register, which bit). `None` only if no instruction takes the kind.
    pub fn mutate(&self, seed: u64) -> Option<Mutation> {
        let mut random = SplitMix64(seed);
        let kind = MUTATIONS[random.below(MUTATIONS.len())];
        let candidates: Vec<&Site> = self.sites.iter().filter(|s| applies(kind, s)).collect();
        let first = random.below(candidates.len().max(1));
        // A change that does not encode in the instruction's length goes to the next one.
        (0..candidates.len()).find_map(|step| {
            let site = candidates[(first + step) % candidates.len()];
            let bytes = change(kind, site, &mut random)?;
            Some(Mutation {
                kind,
                address: site.instruction.ip(),
                before: format_instruction(&site.instruction),
                after: format_code(&bytes, site.instruction.ip()),
                bytes,
                function: self.functions[site.function].clone(),
            })
        })
    }
}

fn applies(kind: &str, site: &Site) -> bool {
    let instruction = &site.instruction;
    match kind {
        "skip" => !matches!(instruction.mnemonic(), Mnemonic::Nop | Mnemonic::Int3 | Mnemonic::Ud2),
        "register" => !changeable_registers(instruction).is_empty(),
        "operand" => {
            site.offsets.has_immediate()
                && instruction.flow_control() == iced_x86::FlowControl::Next
        }
        "pointer" => {
            let memory =
                (0..instruction.op_count()).any(|i| instruction.op_kind(i) == OpKind::Memory);
            memory && (site.offsets.has_displacement() || is_plain_base(instruction.memory_base()))
        }
        _ => instruction.condition_code() != ConditionCode::None,
    }
}

/// The new bytes for `kind` at `site`, as long as the old (padded with `nop`s), or `None`.
fn change(kind: &str, site: &Site, random: &mut SplitMix64) -> Option<Vec<u8>> {
    let length = site.bytes.len();
    let mut bytes = site.bytes.clone();
    let mut flip = |offset: usize, size: usize, random: &mut SplitMix64| {
        let bit = random.below(size * 8);
        bytes[offset + bit / 8] ^= 1 << (bit % 8);
        Some(bytes.clone())
    };
    match kind {
        "skip" => Some(vec![NOP; length]),
        "operand" => flip(site.offsets.immediate_offset(), site.offsets.immediate_size(), random),
        "pointer" if site.offsets.has_displacement() => {
            flip(site.offsets.displacement_offset(), site.offsets.displacement_size(), random)
        }
        "pointer" => {
            let old = site.instruction.memory_base();
            let others = same_size_registers(old);
            let new = others[random.below(others.len())];
            let mut instruction = site.instruction;
            instruction.set_memory_base(new);
            encode(&instruction, length)
        }
        "register" => {
            let operands = changeable_registers(&site.instruction);
            let operand = operands[random.below(operands.len())];
            let others = same_size_registers(site.instruction.op_register(operand));
            let first = random.below(others.len());
            (0..others.len()).find_map(|step| {
                let mut instruction = site.instruction;
                instruction.set_op_register(operand, others[(first + step) % others.len()]);
                encode(&instruction, length)
            })
        }
        _ => {
            let mut instruction = site.instruction;
            instruction.negate_condition_code();
            encode(&instruction, length)
        }
    }
}

/// The operands of `instruction` that name a general-purpose register a mutation may swap
/// (not the stack pointer, whose change would only ever be a crash).
fn changeable_registers(instruction: &Instruction) -> Vec<u32> {
    (0..instruction.op_count())
        .filter(|&i| instruction.op_kind(i) == OpKind::Register)
        .filter(|&i| is_plain_base(instruction.op_register(i)))
        .collect()
}

/// A general-purpose register other than the stack pointer and the old 8-bit high halves.
fn is_plain_base(register: Register) -> bool {
    register.is_gpr()
        && register.full_register() != Register::RSP
        && !matches!(register, Register::AH | Register::BH | Register::CH | Register::DH)
}

/// The other registers of `register`'s size that a mutation may put in its place.
fn same_size_registers(register: Register) -> Vec<Register> {
    Register::values()
        .filter(|&r| is_plain_base(r) && r.size() == register.size() && r != register)
        .collect()
}

/// Encodes `instruction` at its own address into at most `length` bytes, padded with `nop`s.
fn encode(instruction: &Instruction, length: usize) -> Option<Vec<u8>> {
    let mut encoder = Encoder::new(64);
    let written = encoder.encode(instruction, instruction.ip()).ok()?;
    let mut bytes = encoder.take_buffer();
    (written <= length).then(|| {
        bytes.resize(length, NOP);
        bytes
    })
}

fn format_instruction(instruction: &Instruction) -> String {
    let mut formatter = IntelFormatter::new();
    let options = formatter.options_mut();
    options.set_hex_prefix("0x");
    options.set_hex_suffix("");
    options.set_uppercase_hex(false);
    options.set_branch_leading_zeros(false);
    options.set_show_branch_size(false);
    let mut text = String::new();
    formatter.format(instruction, &mut text);
    text
}

/// The instructions `bytes` hold at `address`, joined with "; " (a run of `nop`s said once).
fn format_code(bytes: &[u8], address: u64) -> String {
    let mut decoder = Decoder::with_ip(64, bytes, address, DecoderOptions::NONE);
    let mut parts: Vec<String> = Vec::new();
    while decoder.can_decode() {
        let text = format_instruction(&decoder.decode());
        if text != "nop" || parts.last().is_none_or(|last| !last.starts_with("nop")) {
            parts.push(text);
        }
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few instructions, as one function at 0x40_1000:
    /// mov rax,[rbx+8]; add ecx,5; cmp rdx,rsi; jne +2; xor eax,eax; ret
    const CODE: [u8; 17] = [
        0x48, 0x8b, 0x43, 0x08, 0x83, 0xc1, 0x05, 0x48, 0x39, 0xf2, 0x75, 0x02, 0x31, 0xc0, 0xc3,
        0x90, 0x90,
    ];

    fn code() -> Code {
        let mut code = Code { sites: Vec::new(), functions: vec!["test::f".into()] };
        code.decode(&CODE, 0x40_1000, 0);
        code
    }

    /// Every kind, over many seeds: same length, same address, different bytes, and still
    /// instructions the decoder reads.
    #[test]
    fn every_mutation_is_a_valid_instruction_of_the_same_length() {
        let code = code();
        let mut kinds = std::collections::BTreeSet::new();
        for seed in 0..500 {
            let mutation = code.mutate(seed).expect("every kind applies to this code");
            let site = code.sites.iter().find(|s| s.instruction.ip() == mutation.address).unwrap();
            assert_eq!(mutation.bytes.len(), site.bytes.len(), "{mutation:?}");
            assert_ne!(mutation.bytes, site.bytes, "{mutation:?}");
            assert!(!mutation.after.contains("(bad)"), "{mutation:?}");
            kinds.insert(mutation.kind);
        }
        assert_eq!(kinds.len(), MUTATIONS.len());
    }

    #[test]
    fn each_kind_changes_what_it_says() {
        let code = code();
        let of =
            |kind: &str| (0..200).filter_map(|s| code.mutate(s)).find(|m| m.kind == kind).unwrap();
        assert!(of("skip").after.starts_with("nop"));
        let condition = of("condition");
        assert_eq!((condition.before.as_str(), condition.address), ("jne 0x40100e", 0x40_100a));
        assert_eq!(condition.after, "je 0x40100e");
        let pointer = of("pointer");
        assert!(pointer.before.contains('['), "{pointer:?}");
        assert!(pointer.after != pointer.before, "{pointer:?}");
        let operand = of("operand");
        assert_eq!(operand.address, 0x40_1004, "only `add ecx,5` has an immediate");
        let register = of("register");
        assert!(register.after != register.before && !register.after.contains("rsp"));
    }

    #[test]
    fn a_seed_names_the_same_mutation_every_time() {
        let code = code();
        assert_eq!(code.mutate(7), code.mutate(7));
        let command = code.mutate(7).unwrap().command("fs");
        assert!(command.starts_with("inject fs mutate 0x40"), "{command}");
    }

    #[test]
    fn a_server_owns_its_crate_and_its_logic_crates() {
        assert_eq!(owners("fs", false), ["fs::", "fs_core::", "embedded_sdmmc::"]);
        assert_eq!(owners("serial", true), ["kernel::services::builtin::serial::", "uart_16550::"]);
    }
}
