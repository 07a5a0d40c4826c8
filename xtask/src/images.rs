//! Building the kernel and its ramdisk and wrapping them into bootable disk images.

use crate::toolchain::{self, KERNEL_TARGET};
use crate::userland;
use crate::util::{Failure, run_status, workspace_root};
use crate::{descriptors, manifest};
use std::path::PathBuf;

/// Which kernel to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelKind {
    /// The system as users boot it.
    System,
    /// The same kernel with the in-guest test suite built in (`guest-tests` feature).
    Tests,
    /// The system kernel with the benchmark programs (`userland/bench.toml`).
    Bench,
    /// The servers and the program that measures them (`userland/service-bench.toml`).
    ServiceBench,
}

impl KernelKind {
    fn name(self) -> &'static str {
        match self {
            KernelKind::System => "system",
            KernelKind::Tests => "tests",
            KernelKind::Bench => "bench",
            KernelKind::ServiceBench => "service-bench",
        }
    }

    /// The manifest compiled into this kernel, whose programs go into its ramdisk.
    fn manifest(self) -> &'static str {
        match self {
            KernelKind::System => "system.toml",
            KernelKind::Tests => "userland/tests.toml",
            KernelKind::Bench => "userland/bench.toml",
            KernelKind::ServiceBench => "userland/service-bench.toml",
        }
    }
}

/// Which system to build: services in ring-3 servers, or built into the kernel (its
/// `monolithic` feature). The one place the flavour is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flavor {
    Micro,
    Monolithic,
}

impl Flavor {
    pub const BOTH: [Flavor; 2] = [Flavor::Micro, Flavor::Monolithic];

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Micro => "micro",
            Flavor::Monolithic => "monolithic",
        }
    }

    pub fn parse(s: &str) -> Option<Flavor> {
        match s {
            "micro" => Some(Flavor::Micro),
            "monolithic" => Some(Flavor::Monolithic),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct BuildOptions {
    pub release: bool,
    pub flavor: Flavor,
}

/// The disk images of one kernel build.
pub struct Images {
    pub kernel: PathBuf,
    pub bios: PathBuf,
    pub uefi: PathBuf,
    /// The manifest's `programs`, built, for the data disk's `/BIN`.
    pub programs: Vec<crate::userland::Program>,
    /// The boot tasks' programs, built (the servers, with their symbols).
    pub tasks: Vec<crate::userland::Program>,
}

/// Builds the kernel of `kind` and its BIOS and UEFI images under `target/moat/<kind>/`.
pub fn build(kind: KernelKind, options: BuildOptions) -> Result<Images, Failure> {
    toolchain::ensure_installed()?;
    let root = workspace_root();
    let profile = if options.release { "release" } else { "debug" };

    // Each kind and flavour has its own output folder.
    let flavor = match options.flavor {
        Flavor::Micro => String::new(),
        other => format!("-{}", other.name()),
    };
    let out_dir = root.join("target/moat").join(format!("{}{flavor}-{profile}", kind.name()));
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Failure::new(format!("{}: {e}", out_dir.display())))?;
    // The manifest is compiled into the kernel (`descriptors.rs`, `kernel/build.rs`).
    let manifest_path = root.join(kind.manifest());
    let tasks = manifest::read(&manifest_path)?;
    let descriptors = out_dir.join("manifest.rs");
    let text = manifest::kernel_format(&tasks, kind.manifest());
    let table = descriptors::render(&text, kind.manifest())
        .map_err(|message| Failure::new(format!("{}: {message}", kind.manifest())))?;
    // Written only when it changed: the kernel's build script reruns when its time does.
    if std::fs::read_to_string(&descriptors).ok().as_deref() != Some(table.as_str()) {
        std::fs::write(&descriptors, table)
            .map_err(|e| Failure::new(format!("writing {}: {e}", descriptors.display())))?;
    }

    let mut cargo = toolchain::cargo();
    cargo.current_dir(&root).args(["build", "--quiet", "--package", "kernel"]);
    cargo.env(descriptors::ENV, &descriptors);
    cargo.args(["--target", KERNEL_TARGET]);
    if options.release {
        cargo.arg("--release");
    }
    if kind == KernelKind::Tests {
        cargo.args(["--features", "guest-tests"]);
    }
    // The monolithic kernel builds in a target folder of its own, so switching flavours does
    // not rebuild the kernel each time.
    let target_dir = match options.flavor {
        Flavor::Micro => root.join("target"),
        Flavor::Monolithic => {
            cargo.args(["--features", "monolithic"]);
            root.join("target/monolithic")
        }
    };
    cargo.arg("--target-dir").arg(&target_dir);
    run_status(&mut cargo, "building the kernel")?;

    // Both kinds build to the same path; copy each out before the other overwrites it.
    let built = target_dir.join(KERNEL_TARGET).join(profile).join("kernel");
    let kernel = out_dir.join("kernel");
    std::fs::copy(&built, &kernel)
        .map_err(|e| Failure::new(format!("copying {}: {e}", built.display())))?;

    let ramdisk = userland::build_ramdisk(&manifest_path, &tasks, options.release, &out_dir)?;

    // The image builder is a host program, built by the pinned toolchain in its own target
    // folder so its nightly artifacts never mix with xtask's stable ones.
    let mut image_builder = toolchain::cargo();
    image_builder.current_dir(&root).args(["run", "--quiet", "--package", "image-builder"]);
    image_builder.args(["--target-dir", "target/image-builder", "--"]);
    // The images get the kernel without its debug information: under TCG the BIOS loader takes
    // seconds to read it all. `kernel` keeps it, for gdb and for symbolizing addresses.
    let stripped = out_dir.join("kernel.stripped");
    toolchain::strip_debug(&kernel, &stripped)?;
    image_builder.arg("--kernel").arg(&stripped).arg("--out-dir").arg(&out_dir);
    image_builder.arg("--ramdisk").arg(&ramdisk.path);
    run_status(&mut image_builder, "building the disk images")?;

    let (bios, uefi) = (out_dir.join("bios.img"), out_dir.join("uefi.img"));
    Ok(Images { kernel, bios, uefi, programs: ramdisk.for_disk, tasks: ramdisk.tasks })
}
