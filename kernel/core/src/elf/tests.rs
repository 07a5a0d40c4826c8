//! Host tests for ELF checking: good images, each rule, and corrupted images that must be
//! refused without a panic.

extern crate std;
use super::*;
use std::vec::Vec;

const USER: Range<u64> = 0x1000..0x0000_8000_0000_0000;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;

struct Ph {
    vaddr: u64,
    offset: u64,
    filesz: u64,
    memsz: u64,
    flags: u32,
}

/// A minimal x86_64 executable: header, program headers, then 0x2000 bytes of "contents".
fn image(entry: u64, segments: &[Ph]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"\x7fELF");
    out.extend_from_slice(&[2, 1, 1, 0]); // 64-bit, little endian, version 1, System V
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    out.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&entry.to_le_bytes());
    out.extend_from_slice(&64u64.to_le_bytes()); // program headers right after the header
    out.extend_from_slice(&0u64.to_le_bytes()); // no section headers
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&64u16.to_le_bytes());
    out.extend_from_slice(&56u16.to_le_bytes());
    out.extend_from_slice(&(segments.len() as u16).to_le_bytes());
    out.extend_from_slice(&[0; 6]); // section header size, count, names index
    assert_eq!(out.len(), 64);
    for ph in segments {
        out.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
        out.extend_from_slice(&ph.flags.to_le_bytes());
        out.extend_from_slice(&ph.offset.to_le_bytes());
        out.extend_from_slice(&ph.vaddr.to_le_bytes());
        out.extend_from_slice(&ph.vaddr.to_le_bytes());
        out.extend_from_slice(&ph.filesz.to_le_bytes());
        out.extend_from_slice(&ph.memsz.to_le_bytes());
        out.extend_from_slice(&0x1000u64.to_le_bytes());
    }
    out.resize(0x2000, 0xcc);
    out
}

fn typical() -> Vec<u8> {
    image(
        0x40_1000,
        &[
            Ph { vaddr: 0x40_0000, offset: 0, filesz: 0x200, memsz: 0x200, flags: PF_R },
            Ph {
                vaddr: 0x40_1000,
                offset: 0x1000,
                filesz: 0x800,
                memsz: 0x800,
                flags: PF_R | PF_X,
            },
            Ph {
                vaddr: 0x40_2000,
                offset: 0x1800,
                filesz: 0x100,
                memsz: 0x3000,
                flags: PF_R | PF_W,
            },
        ],
    )
}

/// Plans `bytes` copied to an 8-byte aligned place, as the kernel's ramdisk provides.
fn plan(bytes: &[u8]) -> Result<LoadPlan, ElfError> {
    let mut buffer = std::vec![0u8; bytes.len() + 8];
    let start = buffer.as_ptr().align_offset(8);
    buffer[start..start + bytes.len()].copy_from_slice(bytes);
    plan_load(&buffer[start..start + bytes.len()], USER)
}

#[test]
fn typical_program_is_planned() {
    let plan = plan(&typical()).unwrap();
    assert_eq!(plan.entry, 0x40_1000);
    assert_eq!(plan.segments().len(), 3);
    let data = plan.segments()[2];
    assert!(data.writable && !data.executable);
    assert_eq!(data.pages(), 0x40_2000..0x40_5000);
    assert!(plan.segments()[1].executable && !plan.segments()[1].writable);
    // Only the data segment is writable: .data and .bss together.
    assert_eq!(plan.writable_span(), 0x40_2000..0x40_5000);
    // The code a mutation may change is the executable segment, exactly.
    assert_eq!(plan.code_span(), 0x40_1000..0x40_1800);
    let code_only = plan_load_code_only();
    assert!(code_only.writable_span().is_empty());
}

fn plan_load_code_only() -> LoadPlan {
    let code =
        Ph { vaddr: 0x40_0000, offset: 0x1000, filesz: 0x10, memsz: 0x10, flags: PF_R | PF_X };
    plan(&image(0x40_0000, &[code])).unwrap()
}

#[test]
fn each_rule_is_enforced() {
    let one = |entry, ph: Ph| plan(&image(entry, &[ph]));
    let code = |vaddr| Ph { vaddr, offset: 0x1000, filesz: 0x10, memsz: 0x10, flags: PF_R | PF_X };
    assert_eq!(one(0x40_0000, code(0x40_0000)).map(|p| p.entry), Ok(0x40_0000));
    assert_eq!(one(0, code(0)), Err(ElfError::OutsideUserSpace { virtual_address: 0 }));
    let kernel = 0xffff_ffff_8000_0000;
    assert_eq!(
        one(kernel, code(kernel)),
        Err(ElfError::OutsideUserSpace { virtual_address: kernel })
    );
    let wrap = Ph { vaddr: 0x40_0000, offset: 0, filesz: 0, memsz: u64::MAX, flags: PF_R };
    assert_eq!(
        one(0x40_0000, wrap),
        Err(ElfError::OutsideUserSpace { virtual_address: 0x40_0000 })
    );
    let wx = Ph { flags: PF_R | PF_W | PF_X, ..code(0x40_0000) };
    assert_eq!(
        one(0x40_0000, wx),
        Err(ElfError::WritableAndExecutable { virtual_address: 0x40_0000 })
    );
    let beyond = Ph { offset: 0x1f00, filesz: 0x200, memsz: 0x200, ..code(0x40_0000) };
    assert_eq!(one(0x40_0000, beyond), Err(ElfError::BadFileRange { virtual_address: 0x40_0000 }));
    let bigger_file = Ph { filesz: 0x20, memsz: 0x10, ..code(0x40_0000) };
    assert_eq!(
        one(0x40_0000, bigger_file),
        Err(ElfError::BadFileRange { virtual_address: 0x40_0000 })
    );
    assert_eq!(one(0x50_0000, code(0x40_0000)), Err(ElfError::EntryNotInCode { entry: 0x50_0000 }));
    let data = Ph { flags: PF_R | PF_W, ..code(0x40_0000) };
    assert_eq!(one(0x40_0000, data), Err(ElfError::EntryNotInCode { entry: 0x40_0000 }));
}

#[test]
fn overlapping_pages_are_refused() {
    let a = Ph { vaddr: 0x40_0000, offset: 0x1000, filesz: 0x10, memsz: 0x10, flags: PF_R | PF_X };
    let b = Ph { vaddr: 0x40_0800, offset: 0x1000, filesz: 0x10, memsz: 0x10, flags: PF_R | PF_W };
    assert_eq!(
        plan(&image(0x40_0000, &[a, b])),
        Err(ElfError::Overlap { virtual_address: 0x40_0800 })
    );
}

#[test]
fn header_problems_are_named() {
    let mut not_elf = typical();
    not_elf[0] = b'X';
    assert_eq!(plan(&not_elf), Err(ElfError::NotElf));
    let mut class32 = typical();
    class32[4] = 1;
    assert_eq!(plan(&class32), Err(ElfError::Not64Bit));
    let mut shared_object = typical();
    shared_object[16] = 3;
    assert_eq!(plan(&shared_object), Err(ElfError::NotExecutable));
    let mut arm = typical();
    arm[18] = 183;
    assert_eq!(plan(&arm), Err(ElfError::NotX86_64));
    let mut huge_table = typical();
    huge_table[56] = 0xff;
    assert_eq!(plan(&huge_table), Err(ElfError::BadProgramHeaders));
    assert_eq!(plan(&typical()[..40]), Err(ElfError::TooShort));
    assert_eq!(plan(&image(0x40_0000, &[])), Err(ElfError::BadProgramHeaders));
}

#[test]
fn misaligned_image_is_refused_not_a_panic() {
    let bytes = typical();
    let mut buffer = std::vec![0u8; bytes.len() + 16];
    let start = buffer.as_ptr().align_offset(8) + 1;
    buffer[start..start + bytes.len()].copy_from_slice(&bytes);
    assert_eq!(plan_load(&buffer[start..start + bytes.len()], USER), Err(ElfError::Misaligned));
}

#[test]
fn every_truncation_is_refused_without_panic() {
    let bytes = typical();
    for len in 0..0x1900 {
        // Cutting into the data segment's file bytes must be refused; shorter cuts too.
        assert!(plan(&bytes[..len]).is_err(), "truncated to {len} bytes was accepted");
    }
}

#[test]
fn random_corruption_never_panics() {
    let original = typical();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..5000 {
        let mut bytes = original.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % 0x140) as usize; // the headers, where corruption matters
            bytes[at] = next() as u8;
        }
        let _ = plan(&bytes);
    }
}

#[test]
fn every_error_reads_as_words() {
    let errors = [
        ElfError::Misaligned,
        ElfError::TooShort,
        ElfError::NotElf,
        ElfError::Not64Bit,
        ElfError::NotExecutable,
        ElfError::NotX86_64,
        ElfError::BadProgramHeaders,
        ElfError::Malformed("e_phentsize"),
        ElfError::NoLoadableSegments,
        ElfError::TooManySegments,
        ElfError::OutsideUserSpace { virtual_address: 0xffff_8000_0000_0000 },
        ElfError::BadFileRange { virtual_address: 0x40_0000 },
        ElfError::WritableAndExecutable { virtual_address: 0x40_1000 },
        ElfError::Overlap { virtual_address: 0x40_2000 },
        ElfError::EntryNotInCode { entry: 0x40_3000 },
    ];
    for error in errors {
        let text = std::format!("{error}");
        assert!(!text.is_empty() && !text.contains('{') && !text.contains("Some("), "{text}");
    }
    let text = std::format!("{}", ElfError::Overlap { virtual_address: 0x40_2000 });
    assert_eq!(text, "the segment at 0x402000 overlaps another");
}
