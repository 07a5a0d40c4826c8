//! Checks on the shape of the source tree, run as host tests: the kernel's files form layers
//! (no import cycle between them), and no file of the kernel or the ABI grows past what a
//! reader takes in at one sitting.
//!
//! The import graph is read from the text: every `use` tree and every path that starts with
//! `crate::`, `super::`, `self::` or a child module's name is an edge to the deepest file that
//! path reaches. The one cycle allowed is the trap entry's (`arch/x86_64/trap_entry.rs` and
//! `trap.rs`), which calls up into the handlers that take its frame. The in-guest test suite
//! (`kernel/src/tests/`) is not part of the kernel's layers.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Longest file allowed in `kernel/` and `libipc/`.
const MAX_LINES: usize = 500;

/// The trap entry: its calls leaving `arch/` (and between its two files) are the allowed cycle.
const TRAP_ENTRY: [&str; 2] = ["arch/x86_64/trap_entry.rs", "arch/x86_64/trap.rs"];

/// Macros exported at the crate root, by the file that defines them.
const ROOT_MACROS: [(&str, &str); 2] = [("println", "print.rs"), ("print", "print.rs")];

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The `.rs` files below `dir`, by path relative to it, with their text.
fn sources(dir: &Path, skip: &str) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("the source folder is readable") {
            let path = entry.expect("a readable entry").path();
            let relative = path.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            if !skip.is_empty() && relative.starts_with(skip) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if relative.ends_with(".rs") {
                found.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    found
}

/// The module path of a file: `syscalls/ipc.rs` is `[syscalls, ipc]`, `main.rs` is `[]`.
fn module_of(file: &str) -> Vec<String> {
    let mut parts: Vec<String> =
        file.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "main" | "lib")) {
        parts.pop();
    }
    parts
}

/// The deepest file a module path reaches.
fn resolve(files: &BTreeMap<String, String>, path: &[String]) -> Option<String> {
    (0..=path.len()).rev().find_map(|n| {
        let base = path[..n].join("/");
        let candidates = if base.is_empty() {
            vec!["main.rs".to_string()]
        } else {
            vec![format!("{base}.rs"), format!("{base}/mod.rs")]
        };
        candidates.into_iter().find(|c| files.contains_key(c))
    })
}

/// Splits a `use` tree (`a::{b, c::{d, e}}`) into its paths.
fn expand(prefix: &[String], tree: &str) -> Vec<Vec<String>> {
    let tree = tree.trim();
    if let Some(inner) = tree.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        let (mut parts, mut depth, mut current) = (Vec::new(), 0, String::new());
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if c == ',' && depth == 0 {
                parts.push(std::mem::take(&mut current));
            } else {
                current.push(c);
            }
        }
        parts.push(current);
        return parts
            .iter()
            .filter(|p| !p.trim().is_empty())
            .flat_map(|p| expand(prefix, p))
            .collect();
    }
    let tree = tree.split(" as ").next().unwrap_or(tree).trim();
    match tree.find("::{") {
        Some(at) => {
            let mut head = prefix.to_vec();
            head.extend(tree[..at].split("::").filter(|s| !s.is_empty()).map(String::from));
            expand(&head, &tree[at + 2..])
        }
        None => {
            let mut path = prefix.to_vec();
            path.extend(tree.split("::").filter(|s| !s.is_empty()).map(String::from));
            vec![path]
        }
    }
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path in `text` that starts with `start::` and is not part of a longer path.
fn paths_from(text: &str, start: &str) -> Vec<Vec<String>> {
    let needle = format!("{start}::");
    let mut found = Vec::new();
    for (at, _) in text.match_indices(&needle) {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| is_ident(c) || c == ':') {
            continue;
        }
        let rest: String = text[at..].chars().take_while(|&c| is_ident(c) || c == ':').collect();
        let path: Vec<String> =
            rest.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
        if path.len() > 1 {
            found.push(path); // `start::{...}` is a `use` tree, read by `expand`
        }
    }
    found
}

/// The import graph of the crate rooted in `files`.
fn import_graph(files: &BTreeMap<String, String>) -> Graph {
    let mut graph = Graph::new();
    for (file, text) in files {
        let code: String =
            text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
        let me = module_of(file);
        let children: BTreeSet<String> = code
            .lines()
            .filter_map(|l| {
                let l = l.trim().trim_start_matches("pub ").trim_start_matches("pub(crate) ");
                l.strip_prefix("mod ")
                    .and_then(|m| m.strip_suffix(';'))
                    .map(|m| m.trim().to_string())
            })
            .collect();
        let mut paths = Vec::new();
        for statement in code.split(';') {
            if let Some(at) = statement.find("use ") {
                let before = statement[..at].chars().next_back();
                if before.is_none_or(|c| !is_ident(c)) {
                    paths.extend(expand(&[], &statement[at + 4..]));
                }
            }
        }
        for start in
            ["crate", "super", "self"].iter().map(|s| s.to_string()).chain(children.iter().cloned())
        {
            paths.extend(paths_from(&code, &start));
        }
        let edges = graph.entry(file.clone()).or_default();
        for path in paths {
            let absolute = match path.first().map(String::as_str) {
                Some("crate") => path[1..].to_vec(),
                Some("super" | "self") => {
                    let mut base = me.clone();
                    let mut rest = path.as_slice();
                    while let Some(first) = rest.first() {
                        match first.as_str() {
                            "super" => {
                                base.pop();
                            }
                            "self" => {}
                            _ => break,
                        }
                        rest = &rest[1..];
                    }
                    base.extend(rest.iter().cloned());
                    base
                }
                Some(first) if children.contains(first) => {
                    me.iter().chain(&path).cloned().collect()
                }
                _ => continue,
            };
            let target = match absolute.as_slice() {
                [name] => ROOT_MACROS.iter().find(|(m, _)| m == name).map(|(_, f)| f.to_string()),
                _ => None,
            }
            .or_else(|| resolve(files, &absolute));
            if let Some(target) = target.filter(|t| t != file) {
                edges.insert(target);
            }
        }
    }
    for (index, entry) in TRAP_ENTRY.iter().enumerate() {
        if let Some(edges) = graph.get_mut(*entry) {
            edges.retain(|t| t.starts_with("arch/") && !(index == 0 && t == TRAP_ENTRY[1]));
        }
    }
    graph
}

/// One cycle of `graph`, as the files along it, if there is any.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        graph: &Graph,
        node: &str,
        marks: &mut BTreeMap<String, Mark>,
        trail: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::Open);
        trail.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let start = trail.iter().position(|n| n == next).unwrap();
                    let mut cycle = trail[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(Mark::Done) => {}
                None => {
                    if let Some(cycle) = visit(graph, next, marks, trail) {
                        return Some(cycle);
                    }
                }
            }
        }
        trail.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph.keys().find_map(|node| {
        if marks.contains_key(node) {
            return None;
        }
        visit(graph, node, &mut marks, &mut Vec::new())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::workspace_root;

    #[test]
    fn kernel_files_form_layers_without_import_cycles() {
        let files = sources(&workspace_root().join("kernel/src"), "tests/");
        let graph = import_graph(&files);
        assert!(
            graph.get("syscalls/mod.rs").is_some_and(|e| e.contains("syscalls/ipc.rs")),
            "the reader sees the table's calls"
        );
        if let Some(cycle) = find_cycle(&graph) {
            panic!("kernel/src has an import cycle: {}", cycle.join(" -> "));
        }
    }

    #[test]
    fn the_checker_sees_a_cycle_through_use_super_and_child_paths() {
        let files: BTreeMap<String, String> = [
            ("main.rs", "mod a;\nmod b;\nfn main() { a::run(); }"),
            ("a.rs", "use crate::b::{self, helper};\npub fn run() {}"),
            ("b/mod.rs", "mod c;\npub fn helper() { c::go() }"),
            ("b/c.rs", "pub fn go() { super::super::a::run() }"),
        ]
        .into_iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
        let cycle = find_cycle(&import_graph(&files)).expect("a -> b -> c -> a is a cycle");
        assert!(cycle.contains(&"b/c.rs".to_string()), "{cycle:?}");
    }

    #[test]
    fn kernel_and_abi_files_stay_short() {
        for folder in ["kernel", "libipc"] {
            for (file, text) in sources(&workspace_root().join(folder), "") {
                let lines = text.lines().count();
                assert!(
                    lines <= MAX_LINES,
                    "{folder}/{file} has {lines} lines (at most {MAX_LINES}): split it by responsibility"
                );
            }
        }
    }
}
