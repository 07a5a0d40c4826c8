//! The screen: the linear framebuffer the bootloader set up (a VESA mode under BIOS, GOP under
//! UEFI). The kernel never draws on it; it hands it to the one task whose manifest entry holds
//! the `framebuffer` privilege, the display driver (`syscalls::devices::framebuffer`).

use bootloader_api::BootInfo;
use bootloader_api::info::PixelFormat;
use libipc::abi::{FramebufferInfo, PIXELS_BGR, PIXELS_GREY, PIXELS_RGB};
use spin::Once;

/// Where the screen's pixels are in the kernel's address space, and their layout.
pub struct Screen {
    /// The bootloader's mapping of the pixels (contiguous virtual pages).
    pub kernel_address: u64,
    /// The layout a driver is told; `address` is filled in per task.
    pub info: FramebufferInfo,
}

static SCREEN: Once<Option<Screen>> = Once::new();

/// Takes the bootloader's description of the screen; at boot.
pub fn init(boot_info: &BootInfo) {
    SCREEN.call_once(|| {
        let framebuffer = boot_info.framebuffer.as_ref()?;
        let info = framebuffer.info();
        let format = match info.pixel_format {
            PixelFormat::Rgb => PIXELS_RGB,
            PixelFormat::Bgr => PIXELS_BGR,
            PixelFormat::U8 => PIXELS_GREY,
            _ => {
                log::warn!("the screen's pixel format is not one Moat draws; no screen console");
                return None;
            }
        };
        log::info!(
            "screen: {}x{}, {} bytes per pixel",
            info.width,
            info.height,
            info.bytes_per_pixel
        );
        Some(Screen {
            kernel_address: framebuffer.buffer().as_ptr() as u64,
            info: FramebufferInfo {
                address: 0,
                length: info.byte_len as u64,
                width: info.width as u64,
                height: info.height as u64,
                stride: info.stride as u64,
                bytes_per_pixel: info.bytes_per_pixel as u64,
                format,
            },
        })
    });
}

/// The screen, if the machine has one Moat can draw on.
pub fn screen() -> Option<&'static Screen> {
    SCREEN.get().and_then(Option::as_ref)
}
