//! The records system calls read and write in user memory (`fault_info`, `task_status`,
//! `spawn`, `memory_info`), and the task states they report.

/// What `fault_info` writes: how a task ended.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultInfo {
    /// The task's id at its end (its old generation).
    pub task: u64,
    /// `TASK_RUNNING`, `TASK_EXITED`, `TASK_FAULTED` or `TASK_KILLED`.
    pub state: u64,
    /// Exit code, or the fault kind's number (`FaultKind::code`).
    pub code: u64,
    pub error_code: u64,
    pub rip: u64,
    pub address: u64,
}

pub const TASK_RUNNING: u64 = 0;
pub const TASK_EXITED: u64 = 1;
pub const TASK_FAULTED: u64 = 2;
pub const TASK_KILLED: u64 = 3;

/// What `task_status` writes: one task, as `ps` shows it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskStatus {
    pub id: u64,
    /// One of the `STATE_*` values.
    pub state: u64,
    pub priority: u64,
    /// How often the task was started again in this slot by `restart`.
    pub restarts: u64,
    pub syscalls: u64,
    /// Timer ticks it has run for.
    pub ticks: u64,
    /// The manifest name, NUL-padded.
    pub name: [u8; 16],
    /// The task it is blocked on in a call (sending to it, or waiting for its reply), as
    /// `TaskId::to_raw`; `ANY_TASK` when it is not in a call.
    pub partner: u64,
}

impl TaskStatus {
    /// The manifest name, without its NUL padding.
    pub fn name(&self) -> &str {
        field_name(&self.name).unwrap_or("?")
    }
}

/// What `spawn` reads: which template, what to call the new task, its image and argument.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpawnRequest {
    /// A manifest entry with `start = false` and no interrupts or ports, NUL-padded: the new
    /// task gets its priority, `talks_to` and privileges.
    pub template: [u8; 16],
    /// The new task's name (for `ps` and `lookup`), NUL-padded, at least one byte.
    pub name: [u8; 16],
    pub image: u64,
    pub image_length: u64,
    pub argument: u64,
    pub argument_length: u64,
}

/// The largest ELF image `spawn` takes.
pub const MAX_SPAWN_IMAGE: u64 = 512 * 1024;

/// Where `framebuffer` maps the screen in the caller's address space: above every program
/// image (`plan_load` keeps segments below it) and below the stack.
pub const FRAMEBUFFER_ADDRESS: u64 = 0x0000_7000_0000_0000;

/// How the screen's pixels are laid out, as `framebuffer` describes them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FramebufferInfo {
    /// Where the pixels start (`FRAMEBUFFER_ADDRESS`) and how many bytes are mapped.
    pub address: u64,
    pub length: u64,
    /// Visible pixels per row and rows.
    pub width: u64,
    pub height: u64,
    /// Pixels from one row's start to the next's (at least `width`).
    pub stride: u64,
    pub bytes_per_pixel: u64,
    /// One of the `PIXELS_*` values.
    pub format: u64,
}

/// `FramebufferInfo::format`: red, green, blue bytes in that order.
pub const PIXELS_RGB: u64 = 0;
/// Blue, green, red: what QEMU's standard VGA gives.
pub const PIXELS_BGR: u64 = 1;
/// One grey byte per pixel.
pub const PIXELS_GREY: u64 = 2;

/// What `memory_info` writes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// 4 KiB physical frames the kernel manages, and how many are free.
    pub frames: u64,
    pub frames_free: u64,
    /// The kernel heap: bytes in use and bytes free.
    pub heap_used: u64,
    pub heap_free: u64,
    /// Task slots in use, and how many of those tasks are alive.
    pub tasks: u64,
    pub tasks_alive: u64,
}

/// A name NUL-padded into 16 bytes (cut if longer), as `TaskStatus` and `SpawnRequest` hold
/// names.
pub fn name_field(name: &str) -> [u8; 16] {
    let mut field = [0u8; 16];
    let len = name.len().min(16);
    field[..len].copy_from_slice(&name.as_bytes()[..len]);
    field
}

/// A name as two message words (a NUL-padded field, little-endian), and back.
pub fn name_words(name: &str) -> [u64; 2] {
    let field = name_field(name);
    let word =
        |half: &[u8]| half.iter().rev().fold(0u64, |word, &byte| word << 8 | u64::from(byte));
    [word(&field[..8]), word(&field[8..])]
}

pub fn words_field(words: [u64; 2]) -> [u8; 16] {
    let mut field = [0u8; 16];
    field[..8].copy_from_slice(&words[0].to_le_bytes());
    field[8..].copy_from_slice(&words[1].to_le_bytes());
    field
}

/// The name in a NUL-padded field: `None` if it is empty or not UTF-8.
pub fn field_name(field: &[u8]) -> Option<&str> {
    let len = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    core::str::from_utf8(&field[..len]).ok().filter(|name| !name.is_empty())
}

pub const STATE_READY: u64 = 0;
pub const STATE_SLEEPING: u64 = 1;
pub const STATE_SENDING: u64 = 2;
pub const STATE_AWAITING_REPLY: u64 = 3;
pub const STATE_RECEIVING: u64 = 4;
pub const STATE_EXITED: u64 = 5;
pub const STATE_FAULTED: u64 = 6;
pub const STATE_KILLED: u64 = 7;
/// A service built into the kernel (the monolithic flavour): its calls are handled in ring 0.
pub const STATE_IN_KERNEL: u64 = 8;

/// The word `ps` prints for a `STATE_*` value.
pub const fn state_name(state: u64) -> &'static str {
    match state {
        STATE_READY => "ready",
        STATE_SLEEPING => "sleeping",
        STATE_SENDING => "sending",
        STATE_AWAITING_REPLY => "calling",
        STATE_RECEIVING => "receiving",
        STATE_EXITED => "exited",
        STATE_FAULTED => "faulted",
        STATE_KILLED => "killed",
        STATE_IN_KERNEL => "in kernel",
        _ => "?",
    }
}
