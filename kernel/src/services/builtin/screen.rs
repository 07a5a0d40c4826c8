//! The built-in screen driver: the console's output drawn on the framebuffer by `screen-core`,
//! as the ring-3 screen driver draws it, but called straight from the built-in console.
//! It draws only in a system whose manifest has a `screen` task (the benchmarks' has none).

use super::gate::{Gate, Pass, Service};
use crate::trace;
use kernel_core::manifest::Service as BuiltinService;
use kernel_core::trace::Kind;
use screen_core::{Geometry, Screen};
use service_api::serial::WRITE;
use service_api::status::OK;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Mutex;

/// The terminal and the pixels it draws on (`None` until `start` finds a screen).
pub struct Drawn {
    screen: Screen,
    pixels: Option<&'static mut [u8]>,
}

pub static SCREEN: Mutex<Service<Drawn>> = Mutex::new(Service {
    gate: Gate::new(BuiltinService::Screen),
    state: Drawn { screen: Screen::blank(), pixels: None },
});

/// Whether `start` found a screen to draw on: every console write asks, and a system without
/// one (the benchmarks') must not pay for the lock to find out.
static DRAWING: AtomicBool = AtomicBool::new(false);

/// Takes the framebuffer, if the machine has one and the system a screen task.
pub fn start() {
    if crate::manifest::find(BuiltinService::Screen.name()).is_none() {
        return;
    }
    let Some(framebuffer) = crate::framebuffer::screen() else { return };
    let Some(geometry) = Geometry::of_framebuffer(&framebuffer.info) else { return };
    let mut screen = SCREEN.lock();
    if let Err(error) = screen.state.screen.start(geometry) {
        log::warn!("no screen console: {error}");
        return;
    }
    // SAFETY: the bootloader mapped the framebuffer's `length` bytes at `kernel_address` for
    // the kernel, and in this flavour nothing else draws on them (no task has the privilege
    // `framebuffer`: the screen task is this service).
    let pixels = unsafe {
        core::slice::from_raw_parts_mut(
            framebuffer.kernel_address as *mut u8,
            framebuffer.info.length as usize,
        )
    };
    screen.state.screen.clear(pixels);
    screen.state.pixels = Some(pixels);
    DRAWING.store(true, Ordering::Relaxed);
}

/// Draws `bytes`: one request to the driver, as a `serial::WRITE` message would be.
pub fn write(bytes: &[u8]) {
    if !DRAWING.load(Ordering::Relaxed) {
        return;
    }
    let (console, driver) = (BuiltinService::Console, BuiltinService::Screen);
    let mut service = SCREEN.lock();
    let asked = bytes.len() as u64;
    trace::direct(Kind::Call, console, driver, WRITE, [0, 0], asked);
    let mut length = [asked];
    if service.enter(&mut length) == Pass::Proceed {
        let Drawn { screen, pixels } = &mut service.state;
        if let Some(pixels) = pixels {
            screen.write(pixels, &bytes[..(length[0] as usize).min(bytes.len())]);
        }
    }
    trace::direct(Kind::Reply, driver, console, 0, [OK, asked], 0);
}
