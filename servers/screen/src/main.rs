//! The screen driver, in ring 3: the framebuffer the bootloader set up, mapped into this task
//! alone (`sys::framebuffer`, privilege `framebuffer`), drawn as a text terminal by
//! `screen-core`. The console sends it what it sends the serial line, as `serial::WRITE`
//! requests, so QEMU's window shows the same session as the terminal.
//!
//! The screen holds no state the console lacks: a restarted driver clears the screen and
//! draws on from the next write.

#![no_std]
#![no_main]

use libipc::sys::{self, Message, Received};
use screen_core::{Geometry, Screen};
use service_api::leases::Leases;
use service_api::serial::WRITE;
use service_api::status::{BAD_REQUEST, OK};
use static_cell::ConstStaticCell;
use ulib::leases::CallerLeases;

ulib::entry!(main);

/// The terminal, with its grid of characters (tens of KiB, more than the stack holds).
static SCREEN: ConstStaticCell<Screen> = ConstStaticCell::new(Screen::blank());

fn main(_argument: &str) -> u64 {
    let info = match sys::framebuffer() {
        Ok(info) => info,
        Err(error) => {
            ulib::println!("screen: no framebuffer ({error}); the screen driver stops");
            return 1;
        }
    };
    let Some(geometry) = Geometry::of_framebuffer(&info) else {
        ulib::println!("screen: the framebuffer's pixel format is unknown; the driver stops");
        return 1;
    };
    // SAFETY: the kernel has just mapped `length` bytes of the screen at `address`, writable,
    // for this task only, and nothing else in this task refers to them.
    let pixels =
        unsafe { core::slice::from_raw_parts_mut(info.address as *mut u8, info.length as usize) };
    let screen = SCREEN.take();
    if let Err(error) = screen.start(geometry) {
        ulib::println!("screen: {error}; the screen driver stops");
        return 1;
    }
    screen.clear(pixels);
    sys::serve(|request| request.notification().is_none().then(|| handle(request, screen, pixels)))
}

/// `serial::WRITE`: draws the bytes of lease 0.
fn handle(request: &Received, screen: &mut Screen, pixels: &mut [u8]) -> Message {
    let refuse = Message::new(0, [BAD_REQUEST, 0, 0, 0]);
    if request.message.op != WRITE {
        return refuse;
    }
    let leases = CallerLeases::of_request(request);
    let Some(length) = leases.length(0, false) else { return refuse };
    let mut chunk = [0u8; 256];
    if !leases.read_all(0, length, &mut chunk, |bytes| screen.write(pixels, bytes)) {
        return refuse;
    }
    Message::new(0, [OK, length, 0, 0])
}
