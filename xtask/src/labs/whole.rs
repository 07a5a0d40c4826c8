//! Graded tests that judge the whole running system from outside rather than an in-guest
//! test: keys typed on the PS/2 keyboard, and a fault campaign aimed at one server.
//!
//! Neither can be faked by printing: the typed word comes from the run's nonce, and the
//! campaign's workload checks its own results (checksums, echoes, `fsck.fat`).

use super::rubrics::Credit;
use crate::faults::outcome::Outcome;
use crate::images::Images;
use crate::qemu::{self, Firmware, Keystrokes, MONITOR, RunOptions, Session};
use crate::util::Failure;
use std::path::Path;
use std::time::Duration;

const PROMPT: &str = "moat> ";

/// The word typed for a run: the nonce's hex digits as the letters `a` to `p` (no shift, so
/// any working driver and keymap types it), ten of them.
pub fn word(nonce: &str) -> String {
    nonce
        .chars()
        .filter_map(|c| c.to_digit(16))
        .map(|d| char::from(b'a' + d as u8))
        .take(10)
        .collect()
}

/// The monitor commands that press the keys of `line`, then Enter.
fn sendkeys(line: &str) -> String {
    let keys: Vec<String> = line
        .chars()
        .map(|c| if c == ' ' { "sendkey spc".to_string() } else { format!("sendkey {c}") })
        .collect();
    format!("{MONITOR}{}\nsendkey ret", keys.join("\n"))
}

/// Boots the system, types `echo WORD` on the keyboard at the prompt, and returns why the word
/// did not come back (empty when it did), with the serial output.
pub fn typed_keys(
    system: &Images,
    disk: &Path,
    socket: &Path,
    nonce: &str,
    timeout: Duration,
) -> Result<(String, String), Failure> {
    let word = word(nonce);
    let line = format!("echo {word}");
    let keys = sendkeys(&line);
    let answer = format!("{line}\n{word}\n{PROMPT}");
    let input = [Keystrokes { after: PROMPT, send: &keys }];
    let options = RunOptions {
        data_disk: Some(disk.to_path_buf()),
        monitor_socket: Some(socket.to_path_buf()),
        trace: None,
        linux: None,
        ..RunOptions::captured(Firmware::Bios, String::new())
    };
    let session = Session { input: &input, stop_at: Some(&answer), screen: None };
    let run = qemu::run_captured(&system.bios, &options, timeout, session, |_| false)?;
    let output = run.output;
    let reason = if output.contains(&answer) {
        String::new()
    } else if !output.contains(PROMPT) {
        "the system never reached the shell's prompt".to_string()
    } else {
        let after = &output[output.find(PROMPT).unwrap_or(0) + PROMPT.len()..];
        let typed: String = after.lines().next().unwrap_or("").chars().take(line.len()).collect();
        if typed.is_empty() {
            format!("none of the keys of `{line}` reached the shell (nothing was echoed)")
        } else {
            format!("of the keys of `{line}`, only `{typed}` reached the shell")
        }
    };
    Ok((reason, output))
}

/// Points for a campaign's outcomes: each injection is worth an equal share of `max`, earned
/// when its outcome is one `credit` counts. A kernel crash or corrupted data anywhere earns
/// nothing at all. Returns the points and, when short, why.
pub fn robustness_points(outcomes: &[Outcome], credit: Credit, max: u32) -> (u32, String) {
    if outcomes.is_empty() {
        return (0, "the campaign ran no injection".to_string());
    }
    if let Some(worst) =
        outcomes.iter().find(|o| matches!(o, Outcome::KernelCrash | Outcome::DataCorrupted))
    {
        return (
            0,
            format!("an injection ended in {}: no points for robustness", worst.describe()),
        );
    }
    let earns = |o: &&Outcome| credit.earns(**o);
    let earned = outcomes.iter().filter(earns).count() as u32;
    let points = max * earned / outcomes.len() as u32;
    let short: Vec<&str> =
        outcomes.iter().filter(|o| !credit.earns(**o)).map(|o| o.describe()).collect();
    let reason = if short.is_empty() {
        String::new()
    } else {
        format!("{} of {} injections: {}", short.len(), outcomes.len(), short.join(", "))
    };
    (points, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_word_comes_from_the_nonce_in_plain_letters() {
        assert_eq!(word("0123456789abcdef"), "abcdefghij");
        assert_eq!(word("fedcba9876543210"), "ponmlkjihg");
        assert_eq!(
            sendkeys("echo ab"),
            "(qemu) sendkey e\nsendkey c\nsendkey h\nsendkey o\nsendkey spc\nsendkey a\nsendkey b\nsendkey ret"
        );
    }

    #[test]
    fn robustness_scores_by_outcome_and_a_crash_or_corruption_zeroes_it() {
        use Outcome::*;
        let any = Credit::Recovered;
        assert_eq!(robustness_points(&[Transparent, VisibleError], any, 10), (10, String::new()));
        let (points, why) =
            robustness_points(&[Transparent, ServiceLost, Transparent, Hang], any, 10);
        assert_eq!(points, 5);
        assert!(why.contains("2 of 4") && why.contains("hang"), "{why}");
        assert_eq!(robustness_points(&[Transparent, Transparent, KernelCrash], any, 10).0, 0);
        assert_eq!(robustness_points(&[DataCorrupted], any, 10).0, 0);
        assert_eq!(robustness_points(&[], any, 10).0, 0);
        let (points, why) =
            robustness_points(&[Transparent, VisibleError], Credit::Transparent, 10);
        assert_eq!(points, 5, "a visible error earns nothing where only transparency counts");
        assert!(why.contains("visible error"), "{why}");
    }
}
