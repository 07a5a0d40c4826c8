//! Running a campaign: boot a flavour, inject the planned faults one after another under a
//! checked workload, judge each, and start afresh whenever the system did not come through:
//! from the machine saved at the first prompt (QEMU's migration into a file, and a copy of the
//! data disk), or, with `--fresh-boots`, by booting again.

use super::history::boot_history;
use super::mutation::CodeBook;
use super::outcome::{
    Evidence, Flavor, Injection, MUTATE, Moments, Outcome, Record, TARGETS, classify, plan,
    quick_plan,
};
use super::report;
use super::seen::{Seen, settle};
use super::session::{Session, Wait};
use crate::images::{self, BuildOptions, KernelKind};
use crate::qemu::{self, Firmware, RunOptions};
use crate::util::{Failure, workspace_root};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, PartialEq)]
pub struct FaultsArgs {
    pub flavors: Vec<Flavor>,
    pub runs: usize,
    pub seed: u64,
    /// Run only this injection (an id from a report), on a fresh boot.
    pub replay: Option<String>,
    /// Run this injection with the ones before it in its boot (from the last report), in
    /// order, on a fresh boot.
    pub replay_boot: Option<String>,
    /// Boot afresh after every injection the system did not come through, instead of
    /// restoring the machine saved at the first prompt.
    pub fresh_boots: bool,
    /// Fail unless the microkernel came through every injection without a kernel crash.
    pub quick: bool,
    /// Every planned injection goes into this server (one of `TARGETS`).
    pub target: Option<String>,
    /// QEMUs running at once, the plan split between them.
    pub jobs: usize,
    /// The plan's moments: both kinds, or waits only (`--at-waits`).
    pub moments: Moments,
    /// How long one shell command may take before the system counts as hung.
    pub patience: Duration,
}

/// The health check is tried this often, this far apart, before a service counts as lost:
/// together longer than the supervisor's longest backoff (400 ticks, 4 s).
const HEALTH_ATTEMPTS: usize = 3;
const HEALTH_PAUSE: Duration = Duration::from_secs(2);


pub fn run(args: &FaultsArgs) -> Result<(), Failure> {
    if let Some(target) = args.target.as_deref().filter(|t| !TARGETS.contains(t)) {
        return Err(Failure::new(format!(
            "--target {target}: not a server faults can go into; the targets are {}",
            TARGETS.join(", ")
        )));
    }
    let campaigns = workspace_root().join("target/faults");
    // A replay's reports go beside the campaign's, which they are read from.
    let replaying = args.replay.is_some() || args.replay_boot.is_some();
    let out = if replaying { campaigns.join("replay") } else { campaigns.clone() };
    std::fs::create_dir_all(&out).map_err(|e| Failure::new(format!("{}: {e}", out.display())))?;
    let planned: Vec<Injection> = match (&args.replay, &args.replay_boot) {
        (Some(id), _) => vec![Injection::parse_id(id).ok_or_else(|| {
            Failure::new(format!("--replay {id}: not an injection id (see faults.csv)"))
        })?],
        (_, Some(id)) => boot_history(&campaigns.join("faults.json"), id)?,
        _ if args.quick => args.flavors.iter().flat_map(|&f| quick_plan(f)).collect(),
        _ => {
            let aim = args.target.as_deref();
            let moments = args.moments;
            args.flavors.iter().flat_map(|&f| plan(f, args.runs, args.seed, aim, moments)).collect()
        }
    };
    let mut records = Vec::new();
    for flavor in Flavor::BOTH {
        let injections: Vec<&Injection> = planned.iter().filter(|i| i.flavor == flavor).collect();
        if injections.is_empty() {
            continue;
        }
        println!("== {} flavour: building", flavor.name());
        let images = images::build(KernelKind::System, BuildOptions { release: true, flavor })?;
        qemu::ensure_installed(Firmware::Bios)?;
        let book = if injections.iter().any(|i| i.kind == MUTATE) {
            CodeBook::read(flavor, &images).map_err(Failure::new)?
        } else {
            CodeBook::default()
        };
        println!("== {} flavour: {} injections", flavor.name(), injections.len());
        records.extend(in_parallel(flavor, &injections, (&images, &book), &out, args)?);
    }
    let command = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    println!("\n{}", report::comparison_table(&records));
    println!("{}", report::per_kind_table(&records));
    let written = report::write_reports(&out, &format!("cargo xtask {command}"), &records)
        .map_err(|e| Failure::new(format!("writing the reports: {e}")))?;
    for path in written {
        println!("wrote {}", path.display());
    }
    let crashed = |o: Outcome| matches!(o, Outcome::KernelCrash);
    let micro_crashes = records
        .iter()
        .filter(|r| r.injection.flavor == Flavor::Micro && crashed(r.outcome))
        .count();
    if args.quick && micro_crashes > 0 {
        return Err(Failure::new(format!(
            "{micro_crashes} injection(s) into ring-3 servers crashed the microkernel"
        )));
    }
    Ok(())
}

/// A seeded campaign of `runs` injections, all into `target`, each at a wait for a message, on
/// the microkernel system (for a lab's robustness part); logs and boot logs go under `out`.
pub fn aimed_campaign(
    target: &str,
    runs: usize,
    seed: u64,
    patience: Duration,
    out: &Path,
) -> Result<Vec<Record>, Failure> {
    std::fs::create_dir_all(out).map_err(|e| Failure::new(format!("{}: {e}", out.display())))?;
    let injections = plan(Flavor::Micro, runs, seed, Some(target), Moments::Waits);
    let images =
        images::build(KernelKind::System, BuildOptions { release: true, flavor: Flavor::Micro })?;
    qemu::ensure_installed(Firmware::Bios)?;
    let planned: Vec<&Injection> = injections.iter().collect();
    let job = Job { flavor: Flavor::Micro, number: 0, name: flavor_name(Flavor::Micro, None) };
    campaign(&job, &planned, (&images, &CodeBook::default()), out, patience, Restart::FromSaved)
}

/// One flavour's injections on `args.jobs` QEMUs at once: the plan cut into that many runs
/// of consecutive injections, each run a campaign of its own (own disk, own boots), the
/// records put back in plan order.
fn in_parallel(
    flavor: Flavor,
    injections: &[&Injection],
    images: (&images::Images, &CodeBook),
    out: &Path,
    args: &FaultsArgs,
) -> Result<Vec<Record>, Failure> {
    let started = Instant::now();
    let jobs = args.jobs.min(injections.len()).max(1);
    let restart = if args.fresh_boots { Restart::Boot } else { Restart::FromSaved };
    let mut records = if jobs == 1 {
        let job = Job { flavor, number: 0, name: flavor_name(flavor, None) };
        campaign(&job, injections, images, out, args.patience, restart)?
    } else {
        let share = injections.len().div_ceil(jobs);
        let results: Vec<Result<Vec<Record>, Failure>> = std::thread::scope(|scope| {
            let runs: Vec<_> = injections
                .chunks(share)
                .enumerate()
                .map(|(number, part)| {
                    let job = Job { flavor, number, name: flavor_name(flavor, Some(number)) };
                    scope.spawn(move || campaign(&job, part, images, out, args.patience, restart))
                })
                .collect();
            runs.into_iter()
                .map(|run| run.join().unwrap_or_else(|_| Err(Failure::new("a job panicked"))))
                .collect()
        });
        let mut records = Vec::new();
        for result in results {
            records.extend(result?);
        }
        records
    };
    records.sort_by_key(|record| record.injection.index);
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    println!(
        "== {}: {} injections on {jobs} QEMU(s) in {:.0} s: {:.0} injections a minute",
        flavor.name(),
        records.len(),
        minutes * 60.0,
        records.len() as f64 / minutes.max(1e-9)
    );
    Ok(records)
}

/// How a campaign's files are named: the flavour, and the job when there are several.
fn flavor_name(flavor: Flavor, job: Option<usize>) -> String {
    match job {
        None => flavor.name().to_owned(),
        Some(job) => format!("{}-job{job}", flavor.name()),
    }
}

/// One run of consecutive injections on one QEMU.
struct Job {
    flavor: Flavor,
    /// Its place among the runs going at once (0 when alone).
    number: usize,
    /// Its files' names start with this.
    name: String,
}

/// How a campaign gets a whole system again after an injection it did not come through.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Restart {
    /// Restore the machine saved at the first prompt, with the disk as it was then.
    FromSaved,
    /// Boot afresh on a fresh disk.
    Boot,
}

/// One flavour's injections, several per boot while the system comes through them; `images`
/// are what it boots, with the code of their servers for mutations.
fn campaign(
    job: &Job,
    injections: &[&Injection],
    (images, book): (&images::Images, &CodeBook),
    out: &Path,
    patience: Duration,
    mut restart: Restart,
) -> Result<Vec<Record>, Failure> {
    let name = &job.name;
    let file = |what: &str| out.join(format!("{name}-{what}"));
    let pristine = file("pristine.img");
    crate::disk::create(&pristine, &images.programs)?;
    // A boot image of its own: QEMU locks the image it boots, so parallel jobs cannot share.
    let boot_image = file("boot.img");
    copy(&images.bios, &boot_image)?;
    let disk = file("disk.img");
    let saved = Saved { state: file("prompt.state"), disk: file("prompt-disk.img") };
    let socket = file("monitor");
    let options = RunOptions {
        data_disk: Some(disk.clone()),
        ..RunOptions::captured(Firmware::Bios, String::new())
    };
    let mut records = Vec::new();
    let mut session: Option<Session> = None;
    let mut boots = 0;
    let mut have_saved = false;
    let started = Instant::now();
    let mut pace = Pace::default();
    for (done, injection) in injections.iter().enumerate() {
        pace.before(&injection.target);
        if session.is_none() {
            pace = Pace::default();
            boots += 1;
            let (fresh, first) = if have_saved {
                copy(&saved.disk, &disk)?;
                Session::restore(&boot_image, &options, &socket, &saved.state, patience)?
            } else {
                copy(&pristine, &disk)?;
                let (mut booted, first) =
                    Session::boot(&boot_image, &options, &socket, patience * 6)?;
                if restart == Restart::FromSaved && matches!(first, Wait::Seen(_)) {
                    match booted.save_state(&saved.state, patience * 3) {
                        Ok(()) => {
                            copy(&disk, &saved.disk)?;
                            have_saved = true;
                            drop(booted);
                            Session::restore(
                                &boot_image,
                                &options,
                                &socket,
                                &saved.state,
                                patience,
                            )?
                        }
                        Err(why) => {
                            println!("{why}; booting afresh after each failure instead");
                            restart = Restart::Boot;
                            drop(booted);
                            copy(&pristine, &disk)?;
                            Session::boot(&boot_image, &options, &socket, patience * 6)?
                        }
                    }
                } else {
                    (booted, first)
                }
            };
            if !matches!(first, Wait::Seen(_)) {
                save_log(out, name, boots, &fresh.log);
                return Err(Failure::new(format!(
                    "the {} system did not come to its prompt",
                    job.flavor.name()
                )));
            }
            session = Some(fresh);
        }
        let live = session.as_mut().expect("started above");
        let began = Instant::now();
        let (evidence, detail) = inject_and_check(live, injection, book, done, &disk, patience);
        let outcome = classify(&evidence);
        println!(
            "[{}/{}] {:<11} {:<7} {:<9} {:<15} {detail}",
            done + 1,
            injections.len(),
            name,
            injection.target,
            injection.kind,
            outcome.name(),
        );
        records.push(Record {
            injection: (*injection).clone(),
            outcome,
            detail,
            job: job.number,
            boot: boots,
            seconds: began.elapsed().as_secs_f64(),
        });
        // A mutation may still be in code that did not run yet (in the kernel's, for good).
        if !outcome.recovered() || injection.kind == MUTATE {
            // The next injection needs a system that is whole: start afresh, on a fresh disk.
            if let Some(ended) = session.take() {
                save_log(out, name, boots, &ended.log);
            }
        }
    }
    if let Some(ended) = session.take() {
        save_log(out, name, boots, &ended.log);
    }
    println!(
        "== {}: {} injections in {} boots, {:.0} s",
        name,
        injections.len(),
        boots,
        started.elapsed().as_secs_f64()
    );
    Ok(records)
}

/// The machine saved at the first prompt: its state, and its data disk as it was then.
struct Saved {
    state: PathBuf,
    disk: PathBuf,
}

fn copy(from: &Path, to: &Path) -> Result<(), Failure> {
    std::fs::copy(from, to).map(|_| ()).map_err(|e| Failure::new(format!("{}: {e}", to.display())))
}

/// Faults come no faster than the supervisor's crash-loop rule allows: it gives up on a
/// server restarted 5 times within 10 s (`service_api::supervisor`), which is right for a
/// real crash loop but would make the campaign measure its own pace. So at most
/// `PER_WINDOW` injections go into one server within `WINDOW`; the campaign waits otherwise.
#[derive(Default)]
struct Pace {
    recent: std::collections::HashMap<String, Vec<Instant>>,
}

const PER_WINDOW: usize = 4;
const WINDOW: Duration = Duration::from_secs(11);

impl Pace {
    fn before(&mut self, target: &str) {
        let times = self.recent.entry(target.to_owned()).or_default();
        times.retain(|t| t.elapsed() < WINDOW);
        if times.len() >= PER_WINDOW {
            std::thread::sleep(WINDOW.saturating_sub(times[0].elapsed()));
            times.remove(0);
        }
        times.push(Instant::now());
    }
}

fn save_log(out: &Path, name: &str, boot: usize, log: &str) {
    let _ = std::fs::write(out.join(format!("{name}-boot{boot}.log")), log);
}

/// Arms the fault, runs the workload through it, then checks the system is whole again.
fn inject_and_check(
    session: &mut Session,
    injection: &Injection,
    book: &CodeBook,
    n: usize,
    disk: &PathBuf,
    patience: Duration,
) -> (Evidence, String) {
    let mut seen = Seen::default();
    let mutation =
        (injection.kind == MUTATE).then(|| book.mutation(&injection.target, injection.seed));
    let (arm, armed) = match mutation {
        Some(Ok(mutation)) => {
            seen.notes.push(mutation.describe());
            (mutation.command(&injection.target), "inject: changing ")
        }
        // The shell refuses it, and the note says why.
        Some(Err(why)) => {
            seen.notes.push(format!("no mutation: {why}"));
            ("inject".to_owned(), "usage: ")
        }
        None => {
            let Injection { target, kind, moment, seed, .. } = injection;
            (format!("inject {target} {kind} {moment} {seed}"), "inject: arming ")
        }
    };
    if !seen.command(session, &arm, armed, patience) && !seen.crashed && !seen.hung {
        seen.notes.push("the fault could not be armed".into());
    }
    // The workload: files through fs and block, lines through console and serial, keys
    // through the keyboard driver. Each step sends every target several messages.
    seen.command(session, "stress 2", "checksums match", patience);
    let echo = format!("probe-{n}");
    seen.command(session, &format!("echo {echo}"), &format!("\n{echo}\n"), patience);
    seen.keyboard_echo(session, "keys", patience);
    // The system afterwards: a fresh file round trip and a console echo must work, at the
    // latest after a supervisor's backoff (at most a few seconds) has run its course.
    let mut service_answers_after = false;
    for attempt in 0..HEALTH_ATTEMPTS {
        if attempt > 0 {
            std::thread::sleep(HEALTH_PAUSE);
        }
        let errors_before = seen.errors;
        let files = seen.command(session, "stress 1", "checksums match", patience);
        let echo = format!("alive-{n}-{attempt}");
        let console =
            seen.command(session, &format!("echo {echo}"), &format!("\n{echo}\n"), patience);
        let keyboard = seen.keyboard_echo(session, "ok", patience);
        if files && console && keyboard && seen.errors == errors_before {
            service_answers_after = true;
            break;
        }
        if seen.crashed || seen.hung {
            break;
        }
    }
    let fsck_ok = if seen.crashed || seen.hung {
        true // pulled plug: the disk is not judged mid-write
    } else {
        settle(session, &mut seen, patience);
        match crate::disk::check(disk) {
            Ok(_) => true,
            Err(failure) => {
                seen.notes.push(format!("fsck: {failure}"));
                false
            }
        }
    };
    if !seen.fired && !seen.crashed {
        let never = if injection.kind == MUTATE {
            "(nothing showed that the changed code ran)"
        } else {
            "(the fault never fired)"
        };
        seen.notes.push(never.into());
    }
    let evidence = Evidence {
        kernel_crashed: seen.crashed,
        hung: seen.hung,
        checksums_ok: !seen.corrupted,
        fsck_ok,
        errors_seen: seen.errors,
        service_answers_after,
    };
    let detail =
        if seen.notes.is_empty() { "came through".to_owned() } else { seen.notes.join("; ") };
    (evidence, detail)
}
