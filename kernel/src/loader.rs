//! Making a task from an ELF image: address space, segments, stack, first registers.

use crate::arch::paging::{AddressSpace, MapError, UserAccess};
use crate::arch::{TrapFrame, USER_CODE_SELECTOR, USER_DATA_SELECTOR};
use crate::mm::layout::{
    USER_IMAGE_END, USER_STACK_BOTTOM, USER_STACK_PAGES, USER_STACK_TOP, USER_START,
};
use crate::mm::phys_to_virt;
use crate::usercopy::{UserSlice, copy_to_user};
use kernel_core::elf::{self, ElfError, PAGE_SIZE};

/// Why a task could not be made.
#[derive(Debug)]
pub enum LoadError {
    Elf(ElfError),
    Memory(MapError),
    /// The start argument does not fit the space reserved for it.
    ArgumentTooLong,
    /// Every slot of the task table holds a live task.
    TableFull,
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            LoadError::Elf(error) => write!(f, "not a program the kernel can load: {error}"),
            LoadError::Memory(error) => write!(f, "{error}"),
            LoadError::ArgumentTooLong => {
                write!(f, "start argument longer than {MAX_ARG_LEN} bytes")
            }
            LoadError::TableFull => write!(f, "the task table is full"),
        }
    }
}

/// The start argument is copied to the top of the stack; this bounds it.
pub const MAX_ARG_LEN: usize = 256;

/// RFLAGS for a new task: interrupts on (bit 9), the always-one bit 1, nothing else.
const INITIAL_RFLAGS: u64 = 0x202;

/// A loaded program: its address space, first registers, and where its writable data and
/// its code lie.
pub struct Loaded {
    pub space: AddressSpace,
    pub frame: TrapFrame,
    pub data: core::ops::Range<u64>,
    pub code: core::ops::Range<u64>,
}

/// The address space and first registers of a new task. On error every frame taken so far
/// has been given back.
pub fn load(image: &[u8], argument: &str) -> Result<Loaded, LoadError> {
    let plan = elf::plan_load(image, USER_START..USER_IMAGE_END).map_err(LoadError::Elf)?;
    if argument.len() > MAX_ARG_LEN {
        return Err(LoadError::ArgumentTooLong);
    }
    let mut space = AddressSpace::new().map_err(LoadError::Memory)?;
    match fill(&mut space, image, &plan, argument) {
        Ok(frame) => {
            Ok(Loaded { space, frame, data: plan.writable_span(), code: plan.code_span() })
        }
        Err(error) => {
            space.destroy();
            Err(LoadError::Memory(error))
        }
    }
}

fn fill(
    space: &mut AddressSpace,
    image: &[u8],
    plan: &elf::LoadPlan,
    argument: &str,
) -> Result<TrapFrame, MapError> {
    for segment in plan.segments() {
        let access = UserAccess { writable: segment.writable, executable: segment.executable };
        let file_bytes = &image[segment.file_offset as usize..][..segment.file_size as usize];
        for page in segment.pages().step_by(PAGE_SIZE as usize) {
            let frame = space.map_user_page(page, access)?;
            // The part of the file that lands in this page (the rest stays zero: .bss).
            let start = page.max(segment.virtual_address);
            let end = (page + PAGE_SIZE).min(segment.virtual_address + segment.file_size);
            if start < end {
                let from = (start - segment.virtual_address) as usize;
                let bytes = &file_bytes[from..from + (end - start) as usize];
                let destination = phys_to_virt(frame + (start - page)) as *mut u8;
                // SAFETY: the frame was just mapped for this task and is reached through the
                // physical-memory mapping; the range stays inside the page.
                unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), destination, bytes.len()) };
            }
        }
    }
    // The fault-injection snippets, at the same address in every task (see `research::inject`).
    let code = UserAccess { writable: false, executable: true };
    let frame = space.map_user_page(crate::research::inject::INJECTION_PAGE, code)?;
    let snippets = crate::arch::fault_code::user_snippet_page();
    // SAFETY: the frame was just mapped for this task and is reached through the physical
    // memory mapping; the copy is exactly one page.
    unsafe {
        core::ptr::copy_nonoverlapping(
            snippets.as_ptr(),
            phys_to_virt(frame) as *mut u8,
            snippets.len(),
        )
    };
    let stack = UserAccess { writable: true, executable: false };
    for page in 0..USER_STACK_PAGES {
        space.map_user_page(USER_STACK_BOTTOM + page * PAGE_SIZE, stack)?;
    }
    // The argument's bytes sit at the top of the stack; rdi/rsi tell the program where.
    let argument_address = (USER_STACK_TOP - argument.len() as u64) & !15;
    copy_to_user(
        space,
        UserSlice::new(argument_address, argument.len() as u64),
        argument.as_bytes(),
    )
    .expect("the stack was just mapped writable");
    Ok(TrapFrame {
        rip: plan.entry,
        cs: u64::from(USER_CODE_SELECTOR),
        ss: u64::from(USER_DATA_SELECTOR),
        rflags: INITIAL_RFLAGS,
        // As if `_start` had been called: rsp + 8 is 16-byte aligned.
        rsp: argument_address - 8,
        rdi: argument_address,
        rsi: argument.len() as u64,
        vector: u64::MAX, // not a system call frame: the first return uses IRETQ
        ..TrapFrame::default()
    })
}
