//! The library's module graph: which top-level modules use which (`crate::<module>` in code,
//! comments left out), and the proof that it has no cycle, so every module can be read, tested
//! and changed on top of the ones below it. Rerun: `cargo test architecture`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its code names.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        // The binary (main.rs, cli.rs) and the crate root sit above every module.
        if ["lib", "main", "cli"].contains(&name.as_str()) {
            continue;
        }
        let mut files = Vec::new();
        collect_rs(&path, &mut files);
        let deps = graph.entry(name.clone()).or_default();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines() {
                let code = line.split("//").next().unwrap_or("");
                for (i, _) in code.match_indices("crate::") {
                    let rest = &code[i + "crate::".len()..];
                    let module: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    // `crate::Error` and `crate::Result` are the root's re-exports of `error`.
                    let module = if module.starts_with(char::is_uppercase) {
                        "error".to_string()
                    } else {
                        module
                    };
                    if !module.is_empty() && module != name {
                        deps.insert(module);
                    }
                }
            }
        }
    }
    graph
}

fn collect_rs(path: &Path, out: &mut Vec<std::path::PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap().flatten() {
            collect_rs(&entry.path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

/// A cycle through `graph`, if there is one (depth-first search, three colours).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let from = stack.iter().position(|n| n == node).unwrap();
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_module_graph_has_no_cycle() {
    let graph = module_graph();
    assert!(graph.len() > 15, "the modules were found: {graph:?}");
    for (module, deps) in &graph {
        println!(
            "{module:<10} -> {}",
            deps.iter().cloned().collect::<Vec<_>>().join(" ")
        );
    }
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import cycle: {}", cycle.join(" -> "));
    }
    // The leaves stay leaves: they use the error type, the process-group helpers, the batch
    // clock and the signal flags (and pause-proof deadlines) at most.
    for leaf in [
        "error",
        "stats",
        "usage",
        "machine",
        "procgroup",
        "taskclock",
        "interrupt",
        "workload",
    ] {
        assert!(
            graph[leaf]
                .iter()
                .all(|d| ["error", "procgroup", "taskclock", "interrupt"].contains(&d.as_str())),
            "{leaf} depends on {:?}",
            graph[leaf]
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(find_cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
}
