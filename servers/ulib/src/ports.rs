//! I/O ports for drivers: `in` and `out` executed in ring 3, on the ports the manifest grants
//! the driver. The kernel opens exactly those in the CPU's I/O permission bitmap while the
//! driver runs, so the CPU itself refuses any other port (a general protection fault stops the
//! driver) and no crossing into the kernel is needed. The port system calls
//! (`sys::port_read`, `sys::port_write`) do the same through the kernel, a crossing each.

// LAB 7 BEGIN: what `in` and `out` need: the x86_64 crate's Port
use x86_64::instructions::port::Port;
// LAB 7 STUB
// LAB 7 END

/// Reads 1, 2 or 4 bytes from `port` (any other width reads 4).
pub fn read(port: u16, width: u8) -> u32 {
    // LAB 7 BEGIN: read the port with `in` itself (x86_64's Port), no system call
    // SAFETY: a port the kernel has not opened to this task faults before it is touched; one
    // it has opened is this driver's device, whose state is no other task's memory.
    unsafe {
        match width {
            1 => u32::from(Port::<u8>::new(port).read()),
            2 => u32::from(Port::<u16>::new(port).read()),
            _ => Port::<u32>::new(port).read(),
        }
    }
    // LAB 7 STUB
    // libipc::sys::port_read(port, width).unwrap_or(u32::MAX)
    // LAB 7 END
}

/// Writes the low `width` (1, 2 or 4) bytes of `value` to `port`.
pub fn write(port: u16, width: u8, value: u32) {
    // LAB 7 BEGIN: write the port with `out` itself, no system call
    // SAFETY: as in `read`: the CPU refuses any port the kernel has not opened to this task.
    unsafe {
        match width {
            1 => Port::<u8>::new(port).write(value as u8),
            2 => Port::<u16>::new(port).write(value as u16),
            _ => Port::<u32>::new(port).write(value),
        }
    }
    // LAB 7 STUB
    // let _ = libipc::sys::port_write(port, width, value);
    // LAB 7 END
}
