//! The boot manifest: which tasks the kernel starts, from which image, at which priority.
//!
//! Users edit `system.toml`; xtask checks it and writes this simpler form, one task per line,
//! checks that with `check` here (on the host), and compiles it with `compile` into the static
//! table the kernel includes (`xtask/src/descriptors.rs`), so the kernel parses nothing:
//!
//! ```text
//! # comment
//! task name=hello image=bin/hello priority=3 start=yes quiet=no arg=
//! task name=rtc image=bin/rtc priority=1 irqs=8 ports=0x70-0x71 talks_to=hello privileges=
//! ```
//!
//! `talks_to` lists the tasks this one may send to; `irqs` the interrupt lines it owns (their
//! interrupts arrive as notification bits of the same number); `ports` the I/O port ranges it
//! may use; `privileges` the privileged operations it may ask for (`restart`, `faults`,
//! `inject`, `spawn`, `log`, `framebuffer`).
//!
//! Every error names its line, so a bad manifest is a clear boot error, not a panic.

/// Lowest priority number allowed; 0 is the most urgent.
pub const LOWEST_PRIORITY: u8 = 7;
pub const MAX_NAME_LEN: usize = 16;

/// One boot task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TaskSpec<'a> {
    pub name: &'a str,
    /// Path of the ELF file in the ramdisk.
    pub image: &'a str,
    /// 0 (most urgent) to `LOWEST_PRIORITY`.
    pub priority: u8,
    /// Started at boot (`yes`), or only on request (`no`; tests start such tasks).
    pub start: bool,
    /// Drop the task's `debug_write` output (it is still checked and counted).
    pub quiet: bool,
    /// One word handed to the task at start, in `rdi`; empty when absent.
    pub arg: &'a str,
    /// Comma-separated names of the tasks it may send to (see `send_mask`).
    pub talks_to: &'a str,
    /// Bit `n` set: owns interrupt line `n`.
    pub irqs: u16,
    pub ports: PortRanges,
    pub privileges: Privileges,
    /// Filled in by `compile`: bit `i` set means it may send to the task at position `i`.
    pub send_mask: u64,
    /// Filled in by `compile`: where the task stands in the manifest (for others'
    /// `send_mask`).
    pub position: usize,
    /// Filled in by `compile`: the built-in service of this name, for the monolithic
    /// flavour (which runs it in the kernel instead of starting the task).
    pub service: Option<Service>,
}

/// The services the monolithic flavour can build into the kernel, by manifest name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Serial,
    Console,
    Keyboard,
    Block,
    Fs,
    Screen,
}

impl Service {
    pub const ALL: [Service; 6] = [
        Service::Serial,
        Service::Console,
        Service::Keyboard,
        Service::Block,
        Service::Fs,
        Service::Screen,
    ];

    /// The manifest name of the task the service stands in for.
    pub const fn name(self) -> &'static str {
        match self {
            Service::Serial => "serial",
            Service::Console => "console",
            Service::Keyboard => "keyboard",
            Service::Block => "block",
            Service::Fs => "fs",
            Service::Screen => "screen",
        }
    }

    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|service| service.name() == name)
    }

    /// Its index in `ALL`, for tables indexed by service.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Up to `MAX_PORT_RANGES` inclusive I/O port ranges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortRanges {
    ranges: [(u16, u16); MAX_PORT_RANGES],
    count: usize,
}

pub const MAX_PORT_RANGES: usize = 4;

impl PortRanges {
    /// No ports at all.
    pub const EMPTY: PortRanges = PortRanges { ranges: [(0, 0); MAX_PORT_RANGES], count: 0 };

    /// The first `count` of `ranges` (the form the build writes into the kernel).
    pub const fn from_ranges(ranges: [(u16, u16); MAX_PORT_RANGES], count: usize) -> Self {
        PortRanges { ranges, count }
    }

    pub fn ranges(&self) -> &[(u16, u16)] {
        &self.ranges[..self.count]
    }

    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// True when every port of `first..first + width` is inside one range.
    pub fn allows(&self, first: u16, width: u16) -> bool {
        let Some(last) = first.checked_add(width.saturating_sub(1)) else { return false };
        self.ranges[..self.count].iter().any(|&(low, high)| low <= first && last <= high)
    }
}

/// Privileged operations a task may ask the kernel for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Privileges {
    /// Restart a task from its boot image.
    pub restart: bool,
    /// Read fault records, and be notified when a task ends.
    pub faults: bool,
    /// Inject faults into other tasks (`inject`), for fault-isolation experiments.
    pub inject: bool,
    /// Start programs from images in its own memory (`spawn`), as instances of a template.
    pub spawn: bool,
    /// Read the kernel's kept log (`kernel_log`, for `dmesg`).
    pub log: bool,
    /// Have the screen mapped into its address space (`framebuffer`): a display driver.
    pub framebuffer: bool,
}

/// Interrupt lines a task may not own: 0 is the kernel's timer, 2 the PIC cascade.
const RESERVED_IRQS: u16 = 1 << 0 | 1 << 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestError<'a> {
    /// A line that is neither blank, a comment, nor `task ...`.
    UnknownEntry {
        line: usize,
    },
    UnknownField {
        line: usize,
        field: &'a str,
    },
    MissingField {
        line: usize,
        field: &'static str,
    },
    BadValue {
        line: usize,
        field: &'static str,
        value: &'a str,
    },
    DuplicateName {
        line: usize,
        name: &'a str,
    },
    /// `talks_to` names a task the manifest does not list.
    UnknownPeer {
        line: usize,
        name: &'a str,
    },
    /// Two tasks claim the same interrupt line.
    IrqTaken {
        line: usize,
        irq: u8,
    },
    /// `talks_to` names a task past the first `MAX_PEERS` of the manifest, which no send mask
    /// can hold.
    PeerOutOfReach {
        line: usize,
        name: &'a str,
    },
}

/// Tasks of a manifest that others can send to: a send mask has a bit for each of the first
/// `MAX_PEERS`.
pub const MAX_PEERS: usize = 64;

/// The tasks of a manifest, in order, each parsed or the reason it could not be. Duplicate
/// names are reported by `check`.
pub fn tasks(text: &str) -> impl Iterator<Item = Result<TaskSpec<'_>, ManifestError<'_>>> {
    text.lines().enumerate().filter_map(|(index, line)| {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        Some(match line.strip_prefix("task ") {
            Some(fields) => parse_task(line_number, fields),
            None => Err(ManifestError::UnknownEntry { line: line_number }),
        })
    })
}

/// Parses every line and checks what involves several lines: unique names, known peers,
/// interrupt lines owned once. Returns the number of tasks.
pub fn check(text: &str) -> Result<usize, ManifestError<'_>> {
    let mut count = 0;
    for (i, task) in tasks(text).enumerate() {
        let task = task?;
        let line = line_of(text, i);
        let earlier = || tasks(text).take(i).filter_map(Result::ok);
        if earlier().any(|e| e.name == task.name) {
            return Err(ManifestError::DuplicateName { line, name: task.name });
        }
        if let Some(taken) = earlier().map(|e| e.irqs & task.irqs).find(|&both| both != 0) {
            return Err(ManifestError::IrqTaken { line, irq: taken.trailing_zeros() as u8 });
        }
        for peer in peers(task.talks_to) {
            match tasks(text).position(|t| t.is_ok_and(|t| t.name == peer)) {
                None => return Err(ManifestError::UnknownPeer { line, name: peer }),
                Some(at) if at >= MAX_PEERS => {
                    return Err(ManifestError::PeerOutOfReach { line, name: peer });
                }
                Some(_) => {}
            }
        }
        count += 1;
    }
    Ok(count)
}

/// The tasks of a checked manifest (see `check`) with what depends on the whole manifest
/// filled in: send masks, positions, built-in services. The build turns these into the
/// kernel's static table, so the kernel itself never parses a manifest.
pub fn compile(text: &str) -> impl Iterator<Item = TaskSpec<'_>> {
    tasks(text).filter_map(Result::ok).enumerate().map(move |(position, spec)| TaskSpec {
        send_mask: send_mask(text, &spec),
        position,
        service: Service::from_name(spec.name),
        ..spec
    })
}

/// Bit `i` set for each task at position `i` of the manifest that `spec` may send to (`check`
/// refuses a peer past the first `MAX_PEERS`).
fn send_mask(text: &str, spec: &TaskSpec) -> u64 {
    tasks(text)
        .filter_map(Result::ok)
        .enumerate()
        .filter(|(position, task)| {
            *position < MAX_PEERS && peers(spec.talks_to).any(|p| p == task.name)
        })
        .fold(0, |mask, (position, _)| mask | 1 << position)
}

fn peers(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|name| !name.is_empty())
}

/// The line number of the `index`-th task line.
fn line_of(text: &str, index: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim().starts_with("task "))
        .nth(index)
        .map_or(0, |(i, _)| i + 1)
}

fn parse_task(line: usize, fields: &str) -> Result<TaskSpec<'_>, ManifestError<'_>> {
    let mut name = None;
    let mut image = None;
    let mut priority = None;
    let mut start = true;
    let mut quiet = false;
    let mut arg = "";
    let mut talks_to = "";
    let mut irqs = 0;
    let mut ports = PortRanges::default();
    let mut privileges = Privileges::default();
    for word in fields.split_ascii_whitespace() {
        let (field, value) = word.split_once('=').unwrap_or((word, ""));
        match field {
            "name" => name = Some(check_name(line, value)?),
            "image" if !value.is_empty() => image = Some(value),
            "image" => return Err(ManifestError::BadValue { line, field: "image", value }),
            "priority" => priority = Some(parse_priority(line, value)?),
            "start" => start = parse_bool(line, "start", value)?,
            "quiet" => quiet = parse_bool(line, "quiet", value)?,
            "arg" => arg = value,
            "talks_to" => talks_to = value,
            "irqs" => irqs = parse_irqs(line, value)?,
            "ports" => ports = parse_ports(line, value)?,
            "privileges" => privileges = parse_privileges(line, value)?,
            _ => return Err(ManifestError::UnknownField { line, field }),
        }
    }
    Ok(TaskSpec {
        name: name.ok_or(ManifestError::MissingField { line, field: "name" })?,
        image: image.ok_or(ManifestError::MissingField { line, field: "image" })?,
        priority: priority.ok_or(ManifestError::MissingField { line, field: "priority" })?,
        start,
        quiet,
        arg,
        talks_to,
        irqs,
        ports,
        privileges,
        send_mask: 0,
        position: 0,
        service: None,
    })
}

fn list(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').filter(|item| !item.is_empty())
}

fn parse_irqs(line: usize, value: &str) -> Result<u16, ManifestError<'_>> {
    let bad = ManifestError::BadValue { line, field: "irqs", value };
    list(value).try_fold(0u16, |mask, item| match item.parse::<u8>() {
        Ok(irq) if irq < 16 && RESERVED_IRQS & 1 << irq == 0 => Ok(mask | 1 << irq),
        _ => Err(bad),
    })
}

fn parse_ports(line: usize, value: &str) -> Result<PortRanges, ManifestError<'_>> {
    let bad = ManifestError::BadValue { line, field: "ports", value };
    let number = |text: &str| {
        let text = text.trim();
        match text.strip_prefix("0x") {
            Some(hex) => u16::from_str_radix(hex, 16).ok(),
            None => text.parse().ok(),
        }
    };
    let mut ports = PortRanges::default();
    for item in list(value) {
        let (low, high) = item.split_once('-').unwrap_or((item, item));
        let (Some(low), Some(high)) = (number(low), number(high)) else { return Err(bad) };
        if low > high || ports.count == MAX_PORT_RANGES {
            return Err(bad);
        }
        ports.ranges[ports.count] = (low, high);
        ports.count += 1;
    }
    Ok(ports)
}

fn parse_privileges(line: usize, value: &str) -> Result<Privileges, ManifestError<'_>> {
    let mut privileges = Privileges::default();
    for item in list(value) {
        match item {
            "restart" => privileges.restart = true,
            "faults" => privileges.faults = true,
            "inject" => privileges.inject = true,
            "spawn" => privileges.spawn = true,
            "log" => privileges.log = true,
            "framebuffer" => privileges.framebuffer = true,
            _ => return Err(ManifestError::BadValue { line, field: "privileges", value }),
        }
    }
    Ok(privileges)
}

fn check_name(line: usize, value: &str) -> Result<&str, ManifestError<'_>> {
    let valid_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if value.is_empty() || value.len() > MAX_NAME_LEN || !value.chars().all(valid_char) {
        return Err(ManifestError::BadValue { line, field: "name", value });
    }
    Ok(value)
}

fn parse_priority(line: usize, value: &str) -> Result<u8, ManifestError<'_>> {
    match value.parse::<u8>() {
        Ok(p) if p <= LOWEST_PRIORITY => Ok(p),
        _ => Err(ManifestError::BadValue { line, field: "priority", value }),
    }
}

fn parse_bool<'a>(
    line: usize,
    field: &'static str,
    value: &'a str,
) -> Result<bool, ManifestError<'a>> {
    match value {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(ManifestError::BadValue { line, field, value }),
    }
}

impl core::fmt::Display for ManifestError<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            ManifestError::UnknownEntry { line } => write!(f, "line {line}: expected `task ...`"),
            ManifestError::UnknownField { line, field } => {
                write!(f, "line {line}: unknown field `{field}`")
            }
            ManifestError::MissingField { line, field } => {
                write!(f, "line {line}: missing field `{field}`")
            }
            ManifestError::BadValue { line, field, value } => {
                write!(f, "line {line}: bad value {value:?} for `{field}`")
            }
            ManifestError::DuplicateName { line, name } => {
                write!(f, "line {line}: a task named `{name}` is already listed")
            }
            ManifestError::UnknownPeer { line, name } => {
                write!(f, "line {line}: `talks_to` names `{name}`, which is not in the manifest")
            }
            ManifestError::IrqTaken { line, irq } => {
                write!(f, "line {line}: interrupt line {irq} already belongs to another task")
            }
            ManifestError::PeerOutOfReach { line, name } => write!(
                f,
                "line {line}: `talks_to` names `{name}`, which comes after the first \
                 {MAX_PEERS} tasks of the manifest: only those can be sent to, so move it up"
            ),
        }
    }
}

#[cfg(test)]
mod tests;
