//! Running the system (the kernel built without the test suite).

use crate::cmdline::Cmdline;
use crate::{bootfs, sched, services};

/// What the booted kernel does when it is not running tests: start the manifest's boot tasks
/// and schedule them. With `exit-after-boot`, power off once every task has ended.
pub fn run(cmdline: Cmdline) -> ! {
    sched::with(|s| {
        services::start();
        for spec in bootfs::task_specs().filter(|spec| spec.start) {
            // The monolithic flavour runs these services itself; the rest are tasks.
            if services::is_builtin(spec.name.as_bytes()) {
                s.add_builtin(&spec);
            } else {
                bootfs::spawn(s, &spec);
            }
        }
        let observer: sched::Observer = if cmdline.flag("exit-after-boot") {
            power_off_when_all_ended
        } else {
            say_when_all_ended
        };
        s.set_observer(Some(observer));
    });
    sched::start()
}

fn all_ended(s: &sched::Scheduler) -> bool {
    s.tasks().iter().all(|task| !task.state.is_alive())
}

/// The `exit-after-boot` observer: once no task is alive, the boot has been shown.
fn power_off_when_all_ended(s: &mut sched::Scheduler, _: sched::Event) {
    if all_ended(s) {
        log::info!("exit-after-boot: every task has ended; powering off");
        crate::arch::qemu::exit(crate::arch::qemu::ExitCode::Success);
    }
}

/// The default observer: says once that nothing is left to run.
fn say_when_all_ended(s: &mut sched::Scheduler, event: sched::Event) {
    if matches!(event, sched::Event::TaskEnded(_)) && all_ended(s) {
        log::info!("every task has ended; the kernel idles (quit QEMU with Ctrl-A X)");
    }
}
