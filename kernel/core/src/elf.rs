//! Checking a user program's ELF file and planning how to load it, before any memory is touched.
//!
//! The `xmas-elf` crate reads the fields; this module first checks the header and program
//! header table lie inside the file (the crate slices without checking), then checks every
//! loadable segment against the rules of a user address space:
//!
//! - inside user space, not overlapping another segment's pages;
//! - never both writable and executable (code is read-only, data is no-execute);
//! - file bytes inside the file, no more file bytes than memory bytes;
//! - the entry point inside an executable segment.
//!
//! Any violation is an `ElfError`, so a broken image is a clear error naming the task.

use core::ops::Range;
use xmas_elf::ElfFile;
use xmas_elf::header::{Machine, Type as FileType};
use xmas_elf::program::{ProgramHeader, Type as SegmentType};

pub const PAGE_SIZE: u64 = 4096;
/// More loadable segments than this is not a program our linker script produces.
pub const MAX_SEGMENTS: usize = 8;

const ELF64_HEADER_SIZE: u64 = 64;
const ELF64_PROGRAM_HEADER_SIZE: u64 = 56;

/// One loadable segment, checked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub virtual_address: u64,
    pub memory_size: u64,
    pub file_offset: u64,
    pub file_size: u64,
    pub writable: bool,
    pub executable: bool,
}

impl Segment {
    /// The pages the segment touches.
    pub fn pages(&self) -> Range<u64> {
        let start = self.virtual_address - self.virtual_address % PAGE_SIZE;
        let end = (self.virtual_address + self.memory_size).next_multiple_of(PAGE_SIZE);
        start..end
    }
}

/// What to map, and where to start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    pub entry: u64,
    segments: [Segment; MAX_SEGMENTS],
    count: usize,
}

impl LoadPlan {
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.count]
    }

    /// From the first writable byte to the last (empty if nothing is writable): the task's
    /// data, where fault injection flips bits.
    pub fn writable_span(&self) -> Range<u64> {
        let writable = self.segments().iter().filter(|s| s.writable);
        let start = writable.clone().map(|s| s.virtual_address).min().unwrap_or(0);
        let end = writable.map(|s| s.virtual_address + s.memory_size).max().unwrap_or(0);
        start..end
    }

    /// The executable segment that holds the entry point: the task's code, where a code
    /// mutation may change bytes (a plan always has one; empty otherwise).
    pub fn code_span(&self) -> Range<u64> {
        let span = |s: &Segment| s.virtual_address..s.virtual_address + s.memory_size;
        let code = self.segments().iter().find(|s| s.executable && span(s).contains(&self.entry));
        code.map_or(0..0, span)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// The file must start at an 8-byte boundary for the field reader.
    Misaligned,
    TooShort,
    NotElf,
    Not64Bit,
    NotExecutable,
    NotX86_64,
    /// The program header table is missing, oddly sized, or outside the file.
    BadProgramHeaders,
    /// The reader rejected a field.
    Malformed(&'static str),
    NoLoadableSegments,
    TooManySegments,
    /// A segment reaches outside the user address range (or wraps around).
    OutsideUserSpace {
        virtual_address: u64,
    },
    /// A segment's file bytes lie outside the file, or exceed its memory size.
    BadFileRange {
        virtual_address: u64,
    },
    WritableAndExecutable {
        virtual_address: u64,
    },
    Overlap {
        virtual_address: u64,
    },
    EntryNotInCode {
        entry: u64,
    },
}

impl core::fmt::Display for ElfError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            ElfError::Misaligned => f.write_str("the image does not start on an 8-byte boundary"),
            ElfError::TooShort => f.write_str("the file is too short for an ELF header"),
            ElfError::NotElf => f.write_str("not an ELF file"),
            ElfError::Not64Bit => f.write_str("not a 64-bit ELF file"),
            ElfError::NotExecutable => f.write_str("not an executable"),
            ElfError::NotX86_64 => f.write_str("not built for x86_64"),
            ElfError::BadProgramHeaders => f.write_str("its program headers are missing or broken"),
            ElfError::Malformed(why) => write!(f, "a malformed field ({why})"),
            ElfError::NoLoadableSegments => f.write_str("nothing in it to load"),
            ElfError::TooManySegments => f.write_str("too many segments"),
            ElfError::OutsideUserSpace { virtual_address } => {
                write!(f, "the segment at {virtual_address:#x} reaches outside user space")
            }
            ElfError::BadFileRange { virtual_address } => {
                write!(f, "the segment at {virtual_address:#x} lies outside the file")
            }
            ElfError::WritableAndExecutable { virtual_address } => {
                write!(f, "the segment at {virtual_address:#x} is both writable and executable")
            }
            ElfError::Overlap { virtual_address } => {
                write!(f, "the segment at {virtual_address:#x} overlaps another")
            }
            ElfError::EntryNotInCode { entry } => {
                write!(f, "the entry point {entry:#x} is not in an executable segment")
            }
        }
    }
}

/// Checks `image` and plans its loading into the user address range `user`.
pub fn plan_load(image: &[u8], user: Range<u64>) -> Result<LoadPlan, ElfError> {
    check_tables(image)?;
    let elf = ElfFile::new(image).map_err(ElfError::Malformed)?;
    if elf.header.pt2.type_().as_type() != FileType::Executable {
        return Err(ElfError::NotExecutable);
    }
    if elf.header.pt2.machine().as_machine() != Machine::X86_64 {
        return Err(ElfError::NotX86_64);
    }

    let mut plan =
        LoadPlan { entry: elf.header.pt2.entry_point(), segments: Default::default(), count: 0 };
    for index in 0..elf.header.pt2.ph_count() {
        let header = elf.program_header(index).map_err(ElfError::Malformed)?;
        let ProgramHeader::Ph64(header) = header else { return Err(ElfError::Not64Bit) };
        if header.get_type().map_err(ElfError::Malformed)? != SegmentType::Load
            || header.mem_size == 0
        {
            continue;
        }
        let segment = Segment {
            virtual_address: header.virtual_addr,
            memory_size: header.mem_size,
            file_offset: header.offset,
            file_size: header.file_size,
            writable: header.flags.is_write(),
            executable: header.flags.is_execute(),
        };
        check_segment(&segment, image.len() as u64, &user)?;
        if plan.segments().iter().any(|other| overlaps(&other.pages(), &segment.pages())) {
            return Err(ElfError::Overlap { virtual_address: segment.virtual_address });
        }
        if plan.count == MAX_SEGMENTS {
            return Err(ElfError::TooManySegments);
        }
        plan.segments[plan.count] = segment;
        plan.count += 1;
    }
    if plan.count == 0 {
        return Err(ElfError::NoLoadableSegments);
    }
    let entry_in_code = plan.segments().iter().any(|s| {
        s.executable && (s.virtual_address..s.virtual_address + s.memory_size).contains(&plan.entry)
    });
    if !entry_in_code {
        return Err(ElfError::EntryNotInCode { entry: plan.entry });
    }
    Ok(plan)
}

/// The checks `xmas-elf` assumes were made: size, magic, class, alignment, and a program
/// header table of 64-bit entries inside the file.
fn check_tables(image: &[u8]) -> Result<(), ElfError> {
    if image.as_ptr().align_offset(8) != 0 {
        return Err(ElfError::Misaligned);
    }
    if (image.len() as u64) < ELF64_HEADER_SIZE {
        return Err(ElfError::TooShort);
    }
    if image[..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if image[4] != 2 {
        return Err(ElfError::Not64Bit);
    }
    let read_u16 = |at: usize| u16::from_le_bytes([image[at], image[at + 1]]);
    let read_u64 = |at: usize| u64::from_le_bytes(image[at..at + 8].try_into().expect("8 bytes"));
    let table_offset = read_u64(32);
    let entry_size = u64::from(read_u16(54));
    let count = u64::from(read_u16(56));
    let table_end = table_offset.checked_add(entry_size * count);
    let fits = table_end.is_some_and(|end| end <= image.len() as u64);
    if count == 0 || entry_size != ELF64_PROGRAM_HEADER_SIZE || table_offset % 8 != 0 || !fits {
        return Err(ElfError::BadProgramHeaders);
    }
    Ok(())
}

fn check_segment(segment: &Segment, file_len: u64, user: &Range<u64>) -> Result<(), ElfError> {
    let virtual_address = segment.virtual_address;
    let end = virtual_address.checked_add(segment.memory_size);
    if virtual_address < user.start || end.is_none_or(|end| end > user.end) {
        return Err(ElfError::OutsideUserSpace { virtual_address });
    }
    let file_end = segment.file_offset.checked_add(segment.file_size);
    if segment.file_size > segment.memory_size || file_end.is_none_or(|end| end > file_len) {
        return Err(ElfError::BadFileRange { virtual_address });
    }
    if segment.writable && segment.executable {
        return Err(ElfError::WritableAndExecutable { virtual_address });
    }
    Ok(())
}

fn overlaps(a: &Range<u64>, b: &Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

#[cfg(test)]
mod tests;
