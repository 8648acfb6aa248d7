//! The modules of `shared` form layers (docs/architecture.md, "Layers of
//! `shared`"): no two top-level modules use each other. Read from the
//! `crate::` paths of every source file (test modules and comments left
//! out), so a new cycle fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules its non-test code names.
fn dependencies(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative =
                path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
            let Some(top) =
                relative.split('/').next().map(|t| t.trim_end_matches(".rs").to_owned())
            else {
                continue;
            };
            if !relative.ends_with(".rs") || top == "lib" || relative.ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("utf-8 source");
            // Code only: test modules and comments (a doc may name any module).
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            for (i, _) in code.match_indices("crate::") {
                let name: String = code[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    deps.entry(top.clone()).or_default().insert(name);
                }
            }
        }
    }
    deps
}

#[test]
fn shared_modules_form_layers() {
    let deps = dependencies(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        deps.get("store").is_some_and(|d| d.contains("layout")),
        "the scan found nothing: {deps:?}"
    );
    let mut cycles = Vec::new();
    for (a, used) in &deps {
        for b in used {
            if a < b && deps.get(b).is_some_and(|d| d.contains(a)) {
                cycles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(cycles.is_empty(), "modules that use each other: {cycles:?}");
}
