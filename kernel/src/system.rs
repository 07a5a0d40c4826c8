//! Running the system (the kernel built without the test suite).

use crate::cmdline::Cmdline;
use crate::state::{self, Event, Kernel, Observer};
use crate::{in_kernel, lifecycle, manifest, services, switch};

/// What the booted kernel does when it is not running tests: start the manifest's boot tasks
/// and schedule them. With `exit-after-boot`, power off once every task has ended.
pub fn run(cmdline: Cmdline) -> ! {
    state::with(|k| {
        services::start();
        for spec in manifest::TASKS.iter().filter(|spec| spec.start) {
            // The monolithic flavour runs these services itself; the rest are tasks.
            if services::built_in(spec).is_some() {
                in_kernel::add_service(k, spec);
            } else {
                lifecycle::start_boot_task(k, spec);
            }
        }
        let observer: Observer = if cmdline.flag("exit-after-boot") {
            power_off_when_all_ended
        } else {
            say_when_all_ended
        };
        k.observer = Some(observer);
    });
    switch::start()
}

fn all_ended(k: &Kernel) -> bool {
    k.tasks.iter().all(|task| !task.state.is_alive())
}

/// The `exit-after-boot` observer: once no task is alive, the boot has been shown.
fn power_off_when_all_ended(k: &mut Kernel, _: Event) {
    if all_ended(k) {
        log::info!("exit-after-boot: every task has ended; powering off");
        crate::arch::qemu::exit(crate::arch::qemu::ExitCode::Success);
    }
}

/// The default observer: says once that nothing is left to run.
fn say_when_all_ended(k: &mut Kernel, event: Event) {
    if matches!(event, Event::TaskEnded(_)) && all_ended(k) {
        log::info!("every task has ended; the kernel idles (quit QEMU with Ctrl-A X)");
    }
}
