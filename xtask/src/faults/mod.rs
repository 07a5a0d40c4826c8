//! `cargo xtask faults`: the fault-injection campaign (docs/faults.md).

/// What a campaign reads back: a boot's injections from the last report, a restart put off.
mod history;
/// The HTML report with its charts.
mod html;
/// Code mutations: one instruction of a server changed, chosen on the host.
mod mutation;
/// The plan, the outcomes and how they are told apart.
pub mod outcome;
/// The comparison tables and the CSV and JSON reports.
pub mod report;
/// Booting, injecting, judging.
mod run;
/// What the campaign sees of one injection in the shell's answers.
mod seen;
/// One QEMU under the campaign's control.
pub mod session;

pub use run::{FaultsArgs, aimed_campaign, run};
