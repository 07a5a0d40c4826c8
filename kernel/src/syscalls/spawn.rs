//! `spawn`: programs started from an image in a task's memory (the supervisor reads them
//! from the file system).
//!
//! A spawned task is an instance of a manifest *template*: an entry with `start = false` that
//! owns no interrupts or ports. It takes the template's priority, `talks_to` and privileges,
//! and its own name. It has no boot image, so `restart` refuses it.

use super::outcome::Outcome;
use crate::arch::paging::MapError;
use crate::lifecycle::spawn_into;
use crate::loader::LoadError;
use crate::state::Kernel;
use crate::task::TaskName;
use crate::usercopy::{UserSlice, copy_from_user, copy_values_from_user};
use alloc::vec::Vec;
use libipc::SyscallError;
use libipc::abi::{MAX_SPAWN_IMAGE, SpawnRequest, field_name};

/// A task argument is at most this long (the loader's limit).
const MAX_ARGUMENT: u64 = 256;

/// `spawn(request)`: starts a program from the image a `SpawnRequest` of the caller names.
pub fn spawn(k: &mut Kernel, caller: usize, request: u64) -> Outcome {
    if !k.tasks[caller].spec.privileges.spawn {
        return SyscallError::Denied.into();
    }
    let space = k.space_of(caller);
    let mut fields = [SpawnRequest::default()];
    if let Err(error) = copy_values_from_user(space, request, &mut fields) {
        return error.into();
    }
    let [request] = fields;
    let (Some(template), Some(name)) = (field_name(&request.template), field_name(&request.name))
    else {
        return SyscallError::InvalidArgument.into();
    };
    let Some(&spec) = crate::manifest::find(template) else {
        return SyscallError::NoSuchTask.into();
    };
    // Boot tasks and device owners are not templates: copies would fight over the device.
    if spec.start || spec.irqs != 0 || spec.ports != Default::default() {
        return SyscallError::Denied.into();
    }
    if request.image_length > MAX_SPAWN_IMAGE || request.argument_length > MAX_ARGUMENT {
        return SyscallError::TooLong.into();
    }
    let mut image = Vec::new();
    if image.try_reserve_exact(request.image_length as usize).is_err() {
        return SyscallError::OutOfMemory.into();
    }
    image.resize(request.image_length as usize, 0);
    let mut argument = [0u8; MAX_ARGUMENT as usize];
    let argument = &mut argument[..request.argument_length as usize];
    let copied =
        copy_from_user(space, UserSlice::new(request.image, request.image_length), &mut image)
            .and_then(|()| {
                copy_from_user(
                    space,
                    UserSlice::new(request.argument, request.argument_length),
                    argument,
                )
            });
    if let Err(error) = copied {
        return error.into();
    }
    let Ok(argument) = core::str::from_utf8(argument) else {
        return SyscallError::InvalidArgument.into();
    };
    let spec = kernel_core::manifest::TaskSpec { image: "", arg: "", ..spec };
    // Only slots of ended programs are reused: a dead server's slot waits for its restart.
    let slot = k.tasks.iter().position(|t| !t.state.is_alive() && t.spec.image.is_empty());
    match spawn_into(k, slot, &spec, &image, TaskName::new(name), argument) {
        Ok(id) => {
            crate::trace::started(&k.tasks, caller, usize::from(id.index));
            log::info!("task {name} ({id}) spawned from a {}-byte image", image.len());
            Outcome::Value(id.to_raw())
        }
        Err(error) => {
            log::warn!("spawn {name}: {error}");
            error_of(&error).into()
        }
    }
}

/// What a failed load tells the caller: a full task table and a lack of frames are the
/// system's exhaustion (`OutOfMemory`), not a fault of the image, which is `InvalidArgument`.
pub fn error_of(error: &LoadError) -> SyscallError {
    match error {
        LoadError::TableFull | LoadError::Memory(MapError::OutOfFrames) => {
            SyscallError::OutOfMemory
        }
        LoadError::ArgumentTooLong => SyscallError::TooLong,
        LoadError::Elf(_) | LoadError::Memory(MapError::AlreadyMapped(_)) => {
            SyscallError::InvalidArgument
        }
    }
}
