//! The store's contract (`shared/src/store.rs`, "The reader's contract")
//! lists every public method of `AggregateReader` under the file that
//! defines it: a method added, moved or removed without the table fails
//! here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// File (relative to the crate) -> public methods of its `impl
/// AggregateReader` blocks (test modules left out).
fn methods_in_code(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.join("store")];
    let mut files = vec![src.join("store.rs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable store") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).expect("utf-8");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let relative =
            path.strip_prefix(src).expect("under src").to_string_lossy().replace('\\', "/");
        let mut depth = 0usize;
        let mut inside: Option<usize> = None;
        for line in code.lines() {
            let trimmed = line.trim_start();
            if inside.is_none()
                && trimmed.starts_with("impl")
                && trimmed.contains("AggregateReader<")
            {
                inside = Some(depth);
            }
            if let Some(level) = inside
                && depth == level + 1
            {
                let rest = trimmed
                    .strip_prefix("pub async fn ")
                    .or_else(|| trimmed.strip_prefix("pub fn "))
                    .or_else(|| trimmed.strip_prefix("pub(crate) async fn "))
                    .or_else(|| trimmed.strip_prefix("pub(crate) fn "));
                if let Some(rest) = rest {
                    let name: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    out.entry(format!("store/{}", relative.trim_start_matches("store/")))
                        .or_default()
                        .insert(name);
                }
            }
            depth += line.matches('{').count();
            depth = depth.saturating_sub(line.matches('}').count());
            if inside.is_some_and(|level| depth <= level) && line.contains('}') {
                inside = None;
            }
        }
    }
    out.retain(|_, methods| !methods.is_empty());
    out
}

/// File -> methods, from the table in `store.rs`'s module doc.
fn methods_in_table(store_rs: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in store_rs.lines().filter(|l| l.starts_with("//! | ") && !l.contains("|---")) {
        let cells: Vec<&str> = line.trim_start_matches("//!").split('|').map(str::trim).collect();
        let (Some(file), Some(methods)) = (cells.get(2), cells.get(3)) else { continue };
        if !file.starts_with("`store") {
            continue;
        }
        let names = methods.split(',').map(|m| m.trim().trim_matches('`').to_owned());
        out.entry(file.trim_matches('`').to_owned()).or_default().extend(names);
    }
    out
}

#[test]
fn the_store_table_lists_every_reader_method_where_it_lives() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let code = methods_in_code(&src);
    let table = methods_in_table(&std::fs::read_to_string(src.join("store.rs")).expect("store.rs"));
    assert!(
        code.values().map(BTreeSet::len).sum::<usize>() > 40,
        "the scan found too little: {code:?}"
    );
    assert_eq!(table, code, "update the table in shared/src/store.rs");
}
