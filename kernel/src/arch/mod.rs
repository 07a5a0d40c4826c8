//! Architecture support. Only `x86_64` exists; everything machine-specific lives below it so
//! the rest of the kernel reads as portable Rust.

mod x86_64;

pub use self::x86_64::*;
