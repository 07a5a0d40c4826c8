//! The manifest parser's host tests.

use super::*;

const GOOD: &str = "\
# boot tasks
task name=hello image=bin/hello priority=3

task name=fault-cli image=bin/fault priority=2 start=no quiet=yes arg=cli
";

#[test]
fn parses_tasks_with_defaults() {
    let tasks: Vec<_> = tasks(GOOD).collect::<Result<_, _>>().unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(
        tasks[0],
        TaskSpec {
            name: "hello",
            image: "bin/hello",
            priority: 3,
            start: true,
            quiet: false,
            arg: "",
            talks_to: "",
            irqs: 0,
            ports: PortRanges::default(),
            privileges: Privileges::default(),
            send_mask: 0,
            position: 0,
            service: None,
        }
    );
    assert_eq!(tasks[1].arg, "cli");
    assert!(!tasks[1].start && tasks[1].quiet);
    assert_eq!(check(GOOD), Ok(2));
}

#[test]
fn errors_name_the_line() {
    let cases: [(&str, ManifestError); 7] = [
        ("tusk name=a", ManifestError::UnknownEntry { line: 1 }),
        (
            "\ntask name=a image=x priority=1 colour=red",
            ManifestError::UnknownField { line: 2, field: "colour" },
        ),
        ("task image=x priority=1", ManifestError::MissingField { line: 1, field: "name" }),
        ("task name=a priority=1", ManifestError::MissingField { line: 1, field: "image" }),
        (
            "task name=a image=x priority=8",
            ManifestError::BadValue { line: 1, field: "priority", value: "8" },
        ),
        (
            "task name=A image=x priority=1",
            ManifestError::BadValue { line: 1, field: "name", value: "A" },
        ),
        (
            "task name=a image=x priority=1 start=maybe",
            ManifestError::BadValue { line: 1, field: "start", value: "maybe" },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(check(text), Err(expected), "{text:?}");
    }
}

#[test]
fn duplicate_names_are_refused() {
    let text = "task name=a image=x priority=1\n# c\ntask name=a image=y priority=2\n";
    assert_eq!(check(text), Err(ManifestError::DuplicateName { line: 3, name: "a" }));
}

#[test]
fn long_names_are_refused() {
    let text = "task name=abcdefghijklmnopq image=x priority=1";
    assert!(matches!(check(text), Err(ManifestError::BadValue { field: "name", .. })));
}

#[test]
fn resources_and_peers() {
    let text = "task name=rtc image=x priority=1 irqs=8,5 ports=0x70-0x71,0x80 talks_to=log\n\
                task name=log image=y priority=2 privileges=restart,faults,framebuffer talks_to=rtc,log\n";
    assert_eq!(check(text), Ok(2));
    let rtc = tasks(text).next().unwrap().unwrap();
    assert_eq!(rtc.irqs, 1 << 8 | 1 << 5);
    assert!(rtc.ports.allows(0x70, 2) && rtc.ports.allows(0x80, 1));
    assert!(
        !rtc.ports.allows(0x71, 2) && !rtc.ports.allows(0x81, 1) && !rtc.ports.allows(0xffff, 4)
    );
    assert_eq!(send_mask(text, &rtc), 0b10);
    let log = tasks(text).nth(1).unwrap().unwrap();
    assert_eq!(send_mask(text, &log), 0b11);
    assert!(log.privileges.restart && log.privileges.faults && !rtc.privileges.restart);
    assert!(log.privileges.framebuffer && !rtc.privileges.framebuffer);
    let position = |name| compile(text).find(|t| t.name == name).map(|t| t.position);
    assert_eq!(position("log"), Some(1));
    assert_eq!(position("nobody"), None);
}

#[test]
fn compiling_fills_in_masks_positions_and_services() {
    let text = "task name=serial image=x priority=1 talks_to=app\n\
                task name=app image=y priority=2 talks_to=serial,app\n";
    let compiled: Vec<_> = compile(text).collect();
    assert_eq!(compiled.len(), 2);
    assert_eq!((compiled[0].position, compiled[0].send_mask), (0, 0b10));
    assert_eq!((compiled[1].position, compiled[1].send_mask), (1, 0b11));
    assert_eq!(compiled[0].service, Some(Service::Serial));
    assert_eq!(compiled[1].service, None);
    for service in Service::ALL {
        assert_eq!(Service::from_name(service.name()), Some(service));
        assert_eq!(Service::ALL[service.index()], service);
    }
}

#[test]
fn resource_mistakes_are_refused() {
    let bad = |text| check(text).unwrap_err();
    assert!(matches!(
        bad("task name=a image=x priority=1 irqs=0"),
        ManifestError::BadValue { field: "irqs", .. }
    ));
    assert!(matches!(
        bad("task name=a image=x priority=1 irqs=2"),
        ManifestError::BadValue { field: "irqs", .. }
    ));
    assert!(matches!(
        bad("task name=a image=x priority=1 irqs=16"),
        ManifestError::BadValue { field: "irqs", .. }
    ));
    assert!(matches!(
        bad("task name=a image=x priority=1 ports=0x80-0x70"),
        ManifestError::BadValue { field: "ports", .. }
    ));
    assert!(matches!(
        bad("task name=a image=x priority=1 ports=1,2,3,4,5"),
        ManifestError::BadValue { field: "ports", .. }
    ));
    assert!(matches!(
        bad("task name=a image=x priority=1 privileges=root"),
        ManifestError::BadValue { field: "privileges", .. }
    ));
    assert_eq!(
        bad("task name=a image=x priority=1 talks_to=b"),
        ManifestError::UnknownPeer { line: 1, name: "b" }
    );
    assert_eq!(
        bad("task name=a image=x priority=1 irqs=4\ntask name=b image=x priority=1 irqs=3,4"),
        ManifestError::IrqTaken { line: 2, irq: 4 }
    );
    // A send mask has a bit for each of the first 64 tasks: a peer after them is refused,
    // not silently unreachable.
    let mut many = std::string::String::from("task name=a image=x priority=1 talks_to=t64\n");
    for i in 1..=MAX_PEERS {
        many += &std::format!("task name=t{i} image=x priority=1\n");
    }
    assert_eq!(check(&many), Err(ManifestError::PeerOutOfReach { line: 1, name: "t64" }));
    let reachable = many.replacen("talks_to=t64", "talks_to=t63", 1);
    assert_eq!(check(&reachable), Ok(MAX_PEERS + 1));
}

extern crate std;
use std::vec::Vec;
