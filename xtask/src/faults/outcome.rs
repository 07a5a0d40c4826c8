//! What a fault-injection campaign plans and what it concludes: the injections, drawn
//! reproducibly from a seed, and the outcome of each, classified from what the campaign saw.

pub use crate::images::Flavor;

/// How one injection ended, worst last (the order matters: a run's outcome is the worst seen).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The workload passed and the user saw no error.
    Transparent,
    /// A command reported an error, and later commands work.
    VisibleError,
    /// The system runs, but the service never answers correctly again until a reboot.
    ServiceLost,
    /// The guest stopped producing output, or the prompt never came back.
    Hang,
    /// KERNEL PANIC, a double or triple fault, or QEMU exited.
    KernelCrash,
    /// A checksum mismatch, or fsck.fat found errors.
    DataCorrupted,
}

impl Outcome {
    /// Every outcome, in order (best first).
    pub const ALL: [Outcome; 6] = [
        Outcome::Transparent,
        Outcome::VisibleError,
        Outcome::ServiceLost,
        Outcome::Hang,
        Outcome::KernelCrash,
        Outcome::DataCorrupted,
    ];

    /// The stable id used in CSV, JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Transparent => "transparent",
            Outcome::VisibleError => "visible-error",
            Outcome::ServiceLost => "service-lost",
            Outcome::Hang => "hang",
            Outcome::KernelCrash => "kernel-crash",
            Outcome::DataCorrupted => "data-corrupted",
        }
    }

    /// The phrase used in tables and charts.
    pub fn describe(self) -> &'static str {
        match self {
            Outcome::Transparent => "recovered transparently",
            Outcome::VisibleError => "recovered with a visible error",
            Outcome::ServiceLost => "service lost",
            Outcome::Hang => "hang",
            Outcome::KernelCrash => "kernel crash",
            Outcome::DataCorrupted => "data corrupted",
        }
    }

    /// What the outcome means, in a sentence for the report's readers.
    pub fn meaning(self) -> &'static str {
        match self {
            Outcome::Transparent => {
                "every command of the workload and the check afterwards gave the right answer"
            }
            Outcome::VisibleError => {
                "some command reported an error (a disk error, a restarted server, a lost \
                 keystroke), and afterwards everything worked again without a reboot"
            }
            Outcome::ServiceLost => {
                "the system still answers, but a service never worked again (a dead built-in \
                 driver, or a server the supervisor gave up on)"
            }
            Outcome::Hang => "a command got no answer at all within the time allowed",
            Outcome::KernelCrash => {
                "the kernel panicked, took an exception in ring 0, or the machine reset \
                 (QEMU exited)"
            }
            Outcome::DataCorrupted => {
                "a file read back differently from what was written, or fsck.fat found damage; \
                 this outranks every other outcome"
            }
        }
    }

    /// Whether the system got back to full service without a reboot.
    pub fn recovered(self) -> bool {
        matches!(self, Outcome::Transparent | Outcome::VisibleError)
    }
}

/// What the campaign saw around one injection; `classify` turns it into an Outcome.
///
/// `Default` is "nothing verified yet": the `_ok` flags start false, so evidence the campaign
/// forgot to fill in classifies as a failure rather than as a recovery.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// Panic text was seen, or QEMU exited, during the injection's window.
    pub kernel_crashed: bool,
    /// A command's expected reply did not come in time.
    pub hung: bool,
    /// Every file the workload wrote read back with the right checksum.
    pub checksums_ok: bool,
    /// `fsck.fat -n` found nothing (set true when it has not been run yet).
    pub fsck_ok: bool,
    /// Commands that printed an error during the window.
    pub errors_seen: usize,
    /// The final health check (a fresh write, read and echo) passed.
    pub service_answers_after: bool,
}

/// The outcome the evidence shows. A crash is checked first because after one nothing else
/// (checksums, the health check) could have been observed; corruption comes before a hang
/// because lost data is worse than a stall, even if the stall is what ended the run.
pub fn classify(e: &Evidence) -> Outcome {
    if e.kernel_crashed {
        Outcome::KernelCrash
    } else if !e.checksums_ok || !e.fsck_ok {
        Outcome::DataCorrupted
    } else if e.hung {
        Outcome::Hang
    } else if !e.service_answers_after {
        Outcome::ServiceLost
    } else if e.errors_seen > 0 {
        Outcome::VisibleError
    } else {
        Outcome::Transparent
    }
}

/// The services a fault can be injected into.
pub const TARGETS: [&str; 5] = ["serial", "console", "keyboard", "block", "fs"];

/// The kinds of fault a plan draws for a moment (a mutation, `MUTATE`, is drawn apart).
pub const KINDS: [&str; 12] = [
    "kill",
    "panic",
    "nullptr",
    "privileged",
    "divzero",
    "hang",
    "stack",
    "flipreg",
    "flipmem",
    "skip",
    "badreply",
    "stall",
];

/// A code mutation (`mutation.rs`): it changes the code at once and does its damage when
/// that code runs, so it has no moment of its own (its plan says `0`).
pub const MUTATE: &str = "mutate";

/// One injection in this many of a mixed plan is a code mutation.
const MUTATION_SHARE: usize = 10;

/// When an injected fault fires: at the target's wait for a message, after that many waits,
/// or midway, after that many of the target's own instructions (inside some request). Written
/// as the shell's `inject` takes it: `3`, or `@1234`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moment {
    Wait(u16),
    Midway(u32),
}

impl std::fmt::Display for Moment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Moment::Wait(after) => write!(f, "{after}"),
            Moment::Midway(instructions) => write!(f, "@{instructions}"),
        }
    }
}

impl Moment {
    /// Reads `3` or `@1234` back; a midway count of 0 means nothing and is refused.
    pub fn parse(text: &str) -> Option<Moment> {
        match text.strip_prefix('@') {
            Some(count) => count.parse().ok().filter(|&n| n > 0).map(Moment::Midway),
            None => text.parse().ok().map(Moment::Wait),
        }
    }
}

/// The most instructions a plan lets a midway fault wait in each target: about what the
/// target runs during one workload (`stress 2`, an echo, typed keys), so that most of them
/// fire, at a point spread over its work.
pub const MIDWAY_RANGE: [(&str, u32); 5] = [
    ("serial", 20_000),
    ("console", 20_000),
    ("keyboard", 2_000),
    ("block", 50_000),
    ("fs", 80_000),
];

/// One planned injection: reproducible from (flavor, target, kind, moment, seed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    pub flavor: Flavor,
    /// Position in the plan, from 0.
    pub index: usize,
    pub target: String,
    pub kind: String,
    /// When the fault fires: at a wait (0..=4 in a plan) or midway.
    pub moment: Moment,
    /// Seeds the fault itself (which register or bit to flip, and so on).
    pub seed: u64,
}

impl Injection {
    /// The replay id, e.g. "micro-17-fs-flipreg-3-0x9a1f" or "micro-18-fs-kill-@5210-0x7c":
    /// flavor-index-target-kind-moment-seed (hex). Round-trips with `parse_id` as long as
    /// target and kind contain no '-'.
    pub fn id(&self) -> String {
        format!(
            "{}-{}-{}-{}-{}-{:#x}",
            self.flavor.name(),
            self.index,
            self.target,
            self.kind,
            self.moment,
            self.seed
        )
    }

    /// Reads a replay id back. Target and kind are not checked against `TARGETS` and `KINDS`
    /// here; the campaign reports an unknown one by name.
    pub fn parse_id(id: &str) -> Option<Injection> {
        let parts: Vec<&str> = id.split('-').collect();
        let [flavor, index, target, kind, moment, seed] = parts[..] else { return None };
        if target.is_empty() || kind.is_empty() {
            return None;
        }
        Some(Injection {
            flavor: Flavor::parse(flavor)?,
            index: index.parse().ok()?,
            target: target.to_owned(),
            kind: kind.to_owned(),
            moment: Moment::parse(moment)?,
            seed: u64::from_str_radix(seed.strip_prefix("0x")?, 16).ok()?,
        })
    }
}

/// Which moments a plan draws: both kinds, or waits only (`--at-waits`, what the labs'
/// graders use, so that their plans stay the ones their handouts describe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Moments {
    Mixed,
    Waits,
}

/// Seeds the second stream of a plan, which chooses the midway moments: the first stream draws
/// target, kind, wait and seed exactly as plans did before midway faults existed.
const MIDWAY_STREAM: u64 = 0x6d69_6477_6179; // "midway"
/// Seeds the third stream, which chooses the code mutations, so that the other two stay.
const MUTATION_STREAM: u64 = 0x6d75_7461_7465; // "mutate"

/// The campaign's plan: `runs` injections for `flavor`, drawn deterministically from `seed`.
/// Only the `flavor` field depends on the flavor, so both systems get the same faults in the
/// same order and can be compared fault for fault. With `Moments::Mixed`, half fire at a wait
/// for a message and half midway; with `Waits`, the same plan with every one at its wait. With
/// `aim`, every injection goes into that one server, with the kinds, moments and seeds of the
/// same plan unaimed (a midway count drawn within that server's range). One in
/// `MUTATION_SHARE` of a mixed plan is a code mutation instead (seeded by the same seed).
pub fn plan(
    flavor: Flavor,
    runs: usize,
    seed: u64,
    aim: Option<&str>,
    moments: Moments,
) -> Vec<Injection> {
    let mut rng = SplitMix64(seed);
    let mut midway = SplitMix64(seed ^ MIDWAY_STREAM);
    let mut mutation = SplitMix64(seed ^ MUTATION_STREAM);
    (0..runs)
        .map(|index| {
            let drawn = TARGETS[rng.below(TARGETS.len())];
            let target = aim.unwrap_or(drawn);
            let kind = KINDS[rng.below(KINDS.len())].to_owned();
            let wait = Moment::Wait(rng.below(5) as u16);
            let seed = rng.next() >> 32;
            let (goes_midway, position) = (midway.below(2) == 1, midway.next());
            if moments == Moments::Mixed && mutation.below(MUTATION_SHARE) == 0 {
                let (target, kind) = (target.to_owned(), MUTATE.to_owned());
                return Injection { flavor, index, target, kind, moment: Moment::Wait(0), seed };
            }
            if moments == Moments::Waits || !goes_midway {
                return Injection {
                    flavor,
                    index,
                    target: target.to_owned(),
                    kind,
                    moment: wait,
                    seed,
                };
            }
            let range = MIDWAY_RANGE.iter().find(|(t, _)| *t == target).map_or(1, |r| r.1);
            let moment = Moment::Midway(1 + (position % u64::from(range)) as u32);
            // 31 bits: what a midway injection carries (`inject_detail_midway`).
            let seed = seed & 0x7fff_ffff;
            Injection { flavor, index, target: target.to_owned(), kind, moment, seed }
        })
        .collect()
}

/// The quick plan (CI): one of each fault that is a CPU exception or a stop, each into a
/// different server, at a varied moment, and one code mutation, so that any fault a ring-3
/// server takes down the microkernel with shows up.
pub fn quick_plan(flavor: Flavor) -> Vec<Injection> {
    const QUICK: [(&str, &str, Moment); 7] = [
        ("fs", "nullptr", Moment::Wait(1)),
        ("block", "divzero", Moment::Midway(3_000)),
        ("serial", "panic", Moment::Wait(2)),
        ("console", "stack", Moment::Midway(500)),
        ("keyboard", "hang", Moment::Wait(0)),
        ("fs", "kill", Moment::Midway(20_000)),
        ("fs", MUTATE, Moment::Wait(0)),
    ];
    QUICK
        .iter()
        .enumerate()
        .map(|(index, (target, kind, moment))| Injection {
            flavor,
            index,
            target: (*target).to_owned(),
            kind: (*kind).to_owned(),
            moment: *moment,
            seed: index as u64 + 1,
        })
        .collect()
}

/// splitmix64: small, well mixed, and written here rather than taken from a crate so that a
/// seed names the same plan in every build, for good.
pub(super) struct SplitMix64(pub(super) u64);

impl SplitMix64 {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n, by multiply-shift: the bias is below 2^-59 for the small n used here.
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

/// The result of one injection.
#[derive(Clone, Debug)]
pub struct Record {
    pub injection: Injection,
    pub outcome: Outcome,
    /// One line: what was seen.
    pub detail: String,
    /// Which of the QEMUs running at once (`--jobs`) it ran on, from 0.
    pub job: usize,
    /// Which boot of that QEMU's run it came in, from 1 (a boot, or a restore of the machine
    /// saved at the first prompt); the injections before it in the same boot are its history.
    pub boot: usize,
    pub seconds: f64,
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_kinds_are_the_ones_the_shell_injects() {
        let mut planned: Vec<&str> = KINDS.to_vec();
        planned.push(MUTATE);
        let mut shell: Vec<&str> = libipc::abi::INJECT_KINDS.to_vec();
        planned.sort();
        shell.sort();
        assert_eq!(planned, shell);
    }

    use super::*;

    /// Evidence of a clean run, to spoil one field at a time.
    fn clean() -> Evidence {
        Evidence {
            checksums_ok: true,
            fsck_ok: true,
            service_answers_after: true,
            ..Evidence::default()
        }
    }

    #[test]
    fn classify_follows_priority() {
        assert_eq!(classify(&clean()), Outcome::Transparent);
        assert_eq!(classify(&Evidence { errors_seen: 2, ..clean() }), Outcome::VisibleError);
        let lost = Evidence { service_answers_after: false, errors_seen: 2, ..clean() };
        assert_eq!(classify(&lost), Outcome::ServiceLost);
        assert_eq!(classify(&Evidence { hung: true, ..lost.clone() }), Outcome::Hang);
        let corrupt = Evidence { hung: true, checksums_ok: false, ..lost.clone() };
        assert_eq!(classify(&corrupt), Outcome::DataCorrupted);
        assert_eq!(classify(&Evidence { fsck_ok: false, ..clean() }), Outcome::DataCorrupted);
        let crash = Evidence { kernel_crashed: true, ..corrupt };
        assert_eq!(classify(&crash), Outcome::KernelCrash);
        // Nothing verified is not a recovery.
        assert_eq!(classify(&Evidence::default()), Outcome::DataCorrupted);
    }

    #[test]
    fn outcomes_are_ordered_and_named() {
        assert!(Outcome::ALL.windows(2).all(|w| w[0] < w[1]));
        let recovered: Vec<Outcome> = Outcome::ALL.into_iter().filter(|o| o.recovered()).collect();
        assert_eq!(recovered, [Outcome::Transparent, Outcome::VisibleError]);
        assert_eq!(Outcome::KernelCrash.name(), "kernel-crash");
        assert_eq!(Outcome::VisibleError.describe(), "recovered with a visible error");
        for flavor in [Flavor::Micro, Flavor::Monolithic] {
            assert_eq!(Flavor::parse(flavor.name()), Some(flavor));
        }
        assert_eq!(Flavor::parse("mono"), None);
    }

    #[test]
    fn id_round_trips() {
        let injection = Injection {
            flavor: Flavor::Micro,
            index: 17,
            target: "fs".into(),
            kind: "flipreg".into(),
            moment: Moment::Wait(3),
            seed: 0x9a1f,
        };
        assert_eq!(injection.id(), "micro-17-fs-flipreg-3-0x9a1f");
        assert_eq!(Injection::parse_id(&injection.id()), Some(injection.clone()));
        let midway = Injection { moment: Moment::Midway(5210), ..injection };
        assert_eq!(midway.id(), "micro-17-fs-flipreg-@5210-0x9a1f");
        assert_eq!(Injection::parse_id(&midway.id()), Some(midway));
        for injection in plan(Flavor::Monolithic, 50, 7, None, Moments::Mixed) {
            assert_eq!(Injection::parse_id(&injection.id()).as_ref(), Some(&injection));
        }
        let extreme = Injection {
            index: usize::MAX,
            moment: Moment::Midway(u32::MAX),
            seed: u64::MAX,
            ..plan(Flavor::Micro, 1, 0, None, Moments::Mixed)[0].clone()
        };
        assert_eq!(Injection::parse_id(&extreme.id()), Some(extreme));
    }

    #[test]
    fn parse_id_rejects_malformed() {
        for bad in [
            "",
            "micro-17-fs-flipreg-3",
            "micro-17-fs-flipreg-3-0x9a1f-extra",
            "macro-17-fs-flipreg-3-0x9a1f",
            "micro-x-fs-flipreg-3-0x9a1f",
            "micro-17--flipreg-3-0x9a1f",
            "micro-17-fs--3-0x9a1f",
            "micro-17-fs-flipreg-70000-0x9a1f",
            "micro-17-fs-flipreg-@0-0x9a1f",
            "micro-17-fs-flipreg-@-0x9a1f",
            "micro-17-fs-flipreg-@5000000000-0x9a1f",
            "micro-17-fs-flipreg-3-9a1f",
            "micro-17-fs-flipreg-3-0xzz",
        ] {
            assert_eq!(Injection::parse_id(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn plan_is_deterministic() {
        assert_eq!(
            plan(Flavor::Micro, 100, 42, None, Moments::Mixed),
            plan(Flavor::Micro, 100, 42, None, Moments::Mixed)
        );
        assert_ne!(
            plan(Flavor::Micro, 100, 42, None, Moments::Mixed),
            plan(Flavor::Micro, 100, 43, None, Moments::Mixed)
        );
        // A longer plan extends a shorter one with the same seed.
        assert_eq!(
            plan(Flavor::Micro, 10, 42, None, Moments::Mixed)[..],
            plan(Flavor::Micro, 100, 42, None, Moments::Mixed)[..10]
        );
        let micro = plan(Flavor::Micro, 100, 42, None, Moments::Mixed);
        let monolithic = plan(Flavor::Monolithic, 100, 42, None, Moments::Mixed);
        for (m, k) in micro.iter().zip(&monolithic) {
            assert_eq!((m.flavor, k.flavor), (Flavor::Micro, Flavor::Monolithic));
            assert_eq!(Injection { flavor: Flavor::Monolithic, ..m.clone() }, *k);
        }
        assert_eq!(micro.len(), monolithic.len());
    }

    #[test]
    fn a_plan_at_waits_is_the_mixed_plan_with_every_moment_a_wait() {
        let mixed = plan(Flavor::Micro, 60, 7, Some("fs"), Moments::Mixed);
        let waits = plan(Flavor::Micro, 60, 7, Some("fs"), Moments::Waits);
        assert!(waits.iter().all(|i| matches!(i.moment, Moment::Wait(_))));
        assert!(mixed.iter().any(|i| matches!(i.moment, Moment::Midway(_))));
        assert!(waits.iter().all(|i| i.kind != MUTATE));
        for (m, w) in mixed.iter().zip(&waits).filter(|(m, _)| m.kind != MUTATE) {
            assert_eq!((&m.target, &m.kind), (&w.target, &w.kind));
            if let Moment::Wait(_) = m.moment {
                assert_eq!(m, w);
            }
        }
        // The labs' graders aim this plan at the file server (lab 5's handout lists it).
        let kinds: Vec<&str> = waits[..4].iter().map(|i| i.kind.as_str()).collect();
        assert_eq!(kinds, ["kill", "nullptr", "divzero", "badreply"]);
    }

    #[test]
    fn an_aimed_plan_is_the_same_faults_into_one_server() {
        let aimed = plan(Flavor::Micro, 40, 9, Some("keyboard"), Moments::Mixed);
        let unaimed = plan(Flavor::Micro, 40, 9, None, Moments::Mixed);
        assert!(aimed.iter().all(|i| i.target == "keyboard"));
        for (a, u) in aimed.iter().zip(&unaimed) {
            // A midway count is drawn within the target's own range, so it differs.
            let moment = match (a.moment, u.moment) {
                (Moment::Midway(n), Moment::Midway(_)) => Moment::Midway(n),
                (_, unaimed) => unaimed,
            };
            assert_eq!(*a, Injection { target: "keyboard".into(), moment, ..u.clone() });
        }
    }

    #[test]
    fn plan_covers_the_space() {
        let plan = plan(Flavor::Micro, 200, 1, None, Moments::Mixed);
        assert_eq!(plan.len(), 200);
        assert!(plan.iter().enumerate().all(|(i, injection)| injection.index == i));
        for kind in KINDS {
            assert!(plan.iter().any(|i| i.kind == kind), "no {kind} injection");
        }
        let mutations = plan.iter().filter(|i| i.kind == MUTATE).count();
        assert!((10..=30).contains(&mutations), "{mutations} mutations in 200");
        for target in TARGETS {
            assert!(plan.iter().any(|i| i.target == target), "no injection into {target}");
        }
        for after in 0..=4 {
            let at = Moment::Wait(after);
            assert!(plan.iter().any(|i| i.moment == at), "no injection after {after} waits");
        }
        for (target, range) in MIDWAY_RANGE {
            let midway =
                |i: &&Injection| i.target == target && matches!(i.moment, Moment::Midway(_));
            assert!(plan.iter().filter(midway).count() >= 5, "few midway injections into {target}");
            assert!(plan.iter().filter(midway).all(|i| match i.moment {
                Moment::Midway(n) => (1..=range).contains(&n),
                Moment::Wait(_) => false,
            }));
        }
        assert!(plan.iter().all(|i| match i.moment {
            Moment::Wait(after) => after <= 4,
            Moment::Midway(n) => n >= 1,
        }));
        assert!(plan.iter().all(|i| i.seed <= u64::from(u32::MAX)));
        assert!(plan.iter().all(|i| matches!(i.moment, Moment::Wait(_)) || i.seed < 1 << 31));
    }
}
