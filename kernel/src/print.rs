//! `print!` and `println!` for the kernel: formatted text straight to the serial console,
//! without a timestamp. Test results and trap reports use these; everything else uses `log`.

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::arch::serial::write_fmt(format_args!($($arg)*)) };
}

#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::arch::serial::write_fmt(format_args!("{}\n", format_args!($($arg)*))) };
}
