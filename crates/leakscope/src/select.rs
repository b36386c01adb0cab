//! Turning what the user typed (`@12345`, a class name) into nodes and classes.

use anyhow::{anyhow, bail};
use leakscope_graph::{ClassId, Classes, HeapGraph, NodeIndex};

/// The node with a V8 id, or an error that says how to find ids.
pub fn node(g: &HeapGraph, id: u32) -> anyhow::Result<NodeIndex> {
    g.find_by_id(id).ok_or_else(|| {
        anyhow!(
            "no object with id @{id} in this snapshot (ids differ between snapshots of \
             different processes; `leakscope top` and `leakscope objects` list ids)"
        )
    })
}

/// The classes a name means: the exact class names (and DevTools' old names `(closure)`,
/// `(regexp)`), else every class whose name contains it.
pub fn classes(classes: &Classes, name: &str) -> anyhow::Result<Vec<ClassId>> {
    let exact = classes.named(name);
    if !exact.is_empty() {
        return Ok(exact);
    }
    let containing: Vec<ClassId> =
        classes.iter().filter(|(_, c)| c.name.contains(name)).map(|(id, _)| id).collect();
    if containing.is_empty() {
        let lower = name.to_lowercase();
        let mut similar: Vec<&str> = classes
            .iter()
            .map(|(_, c)| c.name.as_str())
            .filter(|c| c.to_lowercase().contains(&lower))
            .collect();
        similar.sort_unstable();
        similar.dedup();
        similar.truncate(5);
        if similar.is_empty() {
            bail!("no class named {name:?} in this snapshot (`leakscope summary` lists them)");
        }
        bail!("no class named {name:?} in this snapshot; did you mean {}?", similar.join(", "));
    }
    Ok(containing)
}
