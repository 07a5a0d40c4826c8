//! Host tests for the command line: what it accepts, what it rejects, and the help text.

use super::*;

fn run(text: &str, scale: Option<&str>) -> Result<Command, Failure> {
    parse_with(text.split_whitespace().map(str::to_owned), scale)
}

fn qemu(text: &str) -> Result<QemuArgs, Failure> {
    match run(&format!("qemu {text}"), None)? {
        Command::Qemu(args) => Ok(args),
        other => panic!("not a qemu command: {other:?}"),
    }
}

fn test(text: &str, scale: Option<&str>) -> Result<TestArgs, Failure> {
    match run(&format!("test {text}"), scale)? {
        Command::Test(args) => Ok(args),
        other => panic!("not a test command: {other:?}"),
    }
}

fn faults(text: &str) -> Result<FaultsArgs, Failure> {
    match run(&format!("faults {text}"), None)? {
        Command::Faults(args) => Ok(args),
        other => panic!("not a faults command: {other:?}"),
    }
}

fn error(text: &str, scale: Option<&str>) -> String {
    match run(text, scale) {
        Ok(command) => panic!("`{text}` was accepted: {command:?}"),
        Err(failure) => failure.to_string(),
    }
}

#[test]
fn the_parser_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn qemu_flags_and_kernel_words() {
    let parsed = qemu("--uefi --release -- log=debug --exit-after-boot").unwrap();
    assert_eq!(parsed.firmware, Firmware::Uefi);
    assert!(parsed.release && parsed.exit_after_boot);
    assert_eq!(parsed.cmdline, "klog=warn log=debug exit-after-boot");
    let parsed = qemu("--exit-after-boot").unwrap();
    assert!(parsed.exit_after_boot);
    assert_eq!(parsed.cmdline, "klog=warn exit-after-boot");
    let words = qemu("--exit-after-boot --kernel-log -- log=info").unwrap().cmdline;
    assert_eq!(words, "exit-after-boot log=info");
    // The console's level given as a kernel word wins.
    assert_eq!(qemu("-- klog=debug").unwrap().cmdline, "klog=debug");
    // Flags after `--` belong to the kernel.
    let parsed = qemu("-- --release").unwrap();
    assert!(!parsed.release);
    assert_eq!(parsed.cmdline, "klog=warn --release");
}

#[test]
fn qemu_defaults_and_choices() {
    let expected = QemuArgs {
        release: false,
        exit_after_boot: false,
        firmware: Firmware::Bios,
        accel: Accel::Tcg,
        gdb: false,
        display: false,
        fresh_disk: false,
        flavor: Flavor::Micro,
        cmdline: "klog=warn".into(),
    };
    assert_eq!(qemu("").unwrap(), expected);
    let parsed = qemu("--accel kvm --gdb --display --fresh-disk --flavor monolithic").unwrap();
    assert_eq!(parsed.accel, Accel::Kvm);
    assert!(parsed.gdb && parsed.display && parsed.fresh_disk);
    assert_eq!(parsed.flavor, Flavor::Monolithic);
    // The last of a repeated option wins.
    assert_eq!(qemu("--flavor monolithic --flavor micro").unwrap().flavor, Flavor::Micro);
    assert!(qemu("--release --release").unwrap().release);
}

#[test]
fn qemu_rejects_unknown_flags_and_values() {
    assert!(error("qemu --frobnicate", None).contains("'--frobnicate'"));
    assert!(error("qemu --accel xen", None).contains("tcg, kvm"));
    assert!(error("qemu --flavor both", None).contains("micro, monolithic"));
    assert!(error("qemu --flavor", None).contains("--flavor"));
    // Kernel words only after `--`.
    assert!(error("qemu log=debug", None).contains("log=debug"));
}

#[test]
fn test_filter_scopes_and_timeout() {
    let parsed = test("heap --guest --timeout 30", Some("2")).unwrap();
    assert_eq!(parsed.filter.as_deref(), Some("heap"));
    assert!(parsed.guest && !parsed.host);
    assert_eq!(parsed.timeout, Duration::from_secs(60));
    let parsed = test("--host --release --timeout 0.5", None).unwrap();
    assert!(parsed.host && !parsed.guest && parsed.release && parsed.filter.is_none());
    assert_eq!(parsed.timeout, Duration::from_millis(500));
    let parsed = test("", None).unwrap();
    assert!(parsed.host && parsed.guest && !parsed.release);
    assert_eq!(parsed.timeout, Duration::from_secs(120));
}

#[test]
fn test_rejects_bad_input() {
    assert!(error("test a b", None).contains("'b'"));
    assert!(error("test --timeout -1", None).contains("positive number of seconds"));
    assert!(error("test --timeout 0", None).contains("positive number of seconds"));
    assert!(error("test --timeout soon", None).contains("positive number of seconds"));
    assert!(error("test --timeout inf", None).contains("positive number of seconds"));
    assert!(error("test --timeout", None).contains("--timeout"));
    assert!(error("test --bogus", None).contains("'--bogus'"));
    let scale = error("test", Some("fast"));
    assert!(scale.contains("MOAT_TIMEOUT_SCALE is `fast`, which is not a positive number"));
    assert!(error("test", Some("-2")).contains("not a positive number"));
    assert!(error("test --timeout 1e300", Some("1e10")).contains("too long"));
}

#[test]
fn bench_flavors_and_timeout() {
    let Command::Bench(parsed) = run("bench", Some("3")).unwrap() else { panic!("not bench") };
    assert!(!parsed.quick && parsed.flavors.is_none());
    assert_eq!(parsed.timeout, Duration::from_secs(360));
    let Command::Bench(parsed) = run("bench --quick --flavor both --timeout 5", None).unwrap()
    else {
        panic!("not bench")
    };
    assert!(parsed.quick);
    assert_eq!(parsed.flavors, Some(Flavor::BOTH.to_vec()));
    assert_eq!(parsed.timeout, Duration::from_secs(5));
    assert!(error("bench --flavor mono", None).contains("micro, monolithic, both"));
    assert!(error("bench --runs 3", None).contains("'--runs'"));
}

#[test]
fn faults_defaults_and_options() {
    let expected = FaultsArgs {
        flavors: Flavor::BOTH.to_vec(),
        runs: 200,
        seed: 1,
        replay: None,
        replay_boot: None,
        fresh_boots: false,
        quick: false,
        target: None,
        jobs: 1,
        moments: Moments::Mixed,
        patience: Duration::from_secs(10),
    };
    assert_eq!(faults("").unwrap(), expected);
    let parsed = faults("--flavor micro --runs 20 --seed 7 --timeout 4").unwrap();
    assert_eq!(parsed.flavors, [Flavor::Micro]);
    assert_eq!((parsed.runs, parsed.seed), (20, 7));
    assert_eq!(parsed.patience, Duration::from_secs(4));
    assert_eq!(faults("--jobs 2").unwrap().jobs, 2);
    assert_eq!(faults("--jobs 0").unwrap().jobs, 1, "at least one");
    assert_eq!(faults("--at-waits").unwrap().moments, Moments::Waits);
    assert!(faults("--fresh-boots").unwrap().fresh_boots);
    let parsed = faults("--replay-boot micro-3-fs-kill-1-0x9").unwrap();
    assert_eq!(parsed.replay_boot.as_deref(), Some("micro-3-fs-kill-1-0x9"));
    assert!(faults("--replay-boot a --replay b").is_err());
    assert!(faults("--replay-boot a --target fs").is_err());
    let parsed = faults("--quick --flavor monolithic").unwrap();
    assert!(parsed.quick);
    assert_eq!((parsed.runs, parsed.flavors), (6, vec![Flavor::Monolithic]));
    let id = "micro-17-fs-flipreg-3-0x9a1f";
    assert_eq!(faults(&format!("--replay {id}")).unwrap().replay.as_deref(), Some(id));
    let aimed = faults("--target keyboard --runs 4").unwrap();
    assert_eq!(aimed.target.as_deref(), Some("keyboard"));
}

#[test]
fn faults_rejects_bad_numbers() {
    assert!(error("faults --runs many", None).contains("whole number"));
    assert!(error("faults --runs -3", None).contains("'-3'"));
    assert!(error("faults --seed 1.5", None).contains("whole number"));
    assert!(error("faults --replay", None).contains("--replay"));
    assert!(error("faults --timeout 0", None).contains("positive number of seconds"));
}

#[test]
fn build_help_and_unknown_commands() {
    assert!(matches!(run("build", None), Ok(Command::Build { release: false })));
    assert!(matches!(run("build --release", None), Ok(Command::Build { release: true })));
    assert!(error("build --uefi", None).contains("'--uefi'"));
    assert!(error("frobnicate", None).contains("'frobnicate'"));
    for text in ["", "help", "--help", "-h"] {
        assert!(matches!(run(text, None), Ok(Command::Help(_))), "{text}");
    }
    let Ok(Command::Help(qemu_help)) = run("help qemu", None) else { panic!("help qemu") };
    assert!(qemu_help.contains("--fresh-disk") && !qemu_help.contains("--replay"));
}

#[test]
fn errors_are_sentences_with_usage() {
    let text = error("qemu --bogus", None);
    assert!(text.starts_with("unexpected argument '--bogus' found"), "{text}");
    assert!(text.contains("Usage: cargo xtask qemu"), "{text}");
    assert!(!text.ends_with('\n'));
}

#[test]
fn help_lists_every_command_and_option() {
    let Ok(Command::Help(command)) = run("help", None) else { panic!("help") };
    assert_eq!(command, help());
    for text in [help(), help_for("--help"), help_for("-h")] {
        for word in [
            "qemu",
            "test",
            "bench",
            "faults",
            "build",
            "help",
            "--release",
            "--uefi",
            "--accel",
            "--gdb",
            "--display",
            "--flavor",
            "--fresh-disk",
            "--exit-after-boot",
            "KERNEL WORDS",
            "error|warn|info|debug|trace",
            "--kernel-log",
            "klog=LEVEL",
            "FILTER",
            "--host",
            "--guest",
            "--timeout",
            "MOAT_TIMEOUT_SCALE",
            "--quick",
            "--runs",
            "--seed",
            "--replay",
            "monolithic",
            "both",
        ] {
            assert!(text.contains(word), "help lacks {word}:\n{text}");
        }
    }
}

fn help_for(flag: &str) -> String {
    match run(flag, None) {
        Ok(Command::Help(text)) => text,
        other => panic!("{flag}: {other:?}"),
    }
}
