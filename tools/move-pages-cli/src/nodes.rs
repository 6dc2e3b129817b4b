// SPDX-License-Identifier: GPL-2.0

//! NUMA nodes: the kernel's node lists (`0-3,5`), and checking a target node against
//! `/sys/devices/system/node` and the target process's `Mems_allowed_list` before asking the
//! kernel.

use std::fmt;
use std::fs;
use std::path::Path;

/// Where the kernel lists the nodes.
pub const SYSFS_NODES: &str = "/sys/devices/system/node";

/// A set of nodes as the kernel prints it: ranges `a-b` and single numbers, comma-separated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeList(pub Vec<(u32, u32)>);

impl NodeList {
    /// Parses a list such as `0-3,5` (an empty or blank text is the empty set).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        if s.is_empty() {
            return Some(Self::default());
        }
        s.split(',')
            .map(|part| {
                let (a, b) = part.split_once('-').unwrap_or((part, part));
                let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
                (a <= b).then_some((a, b))
            })
            .collect::<Option<Vec<_>>>()
            .map(Self)
    }

    /// The nodes, in the list's order, ranges expanded.
    pub fn nodes(&self) -> Vec<u32> {
        self.0.iter().flat_map(|&(a, b)| a..=b).collect()
    }

    /// Whether `node` is in the set.
    pub fn contains(&self, node: u32) -> bool {
        self.0.iter().any(|&(a, b)| (a..=b).contains(&node))
    }
}

impl fmt::Display for NodeList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, &(a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            if a == b {
                write!(f, "{a}")?;
            } else {
                write!(f, "{a}-{b}")?;
            }
        }
        Ok(())
    }
}

/// Why a node cannot be a target.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NodeError {
    /// No such node on this machine.
    #[error("node {node} does not exist{}", online_list(online))]
    NoSuchNode { node: u32, online: Option<NodeList> },
    /// The node exists but is offline.
    #[error("node {node} is offline (online nodes: {online})")]
    Offline { node: u32, online: NodeList },
    /// The node has no memory.
    #[error("node {node} has no memory (nodes with memory: {with_memory})")]
    NoMemory { node: u32, with_memory: NodeList },
    /// The target process's cpuset does not allow the node.
    #[error(
        "node {node} is not allowed by the cpuset of process {pid} (Mems_allowed_list: {allowed})"
    )]
    NotAllowed {
        node: u32,
        pid: u32,
        allowed: NodeList,
    },
}

fn online_list(online: &Option<NodeList>) -> String {
    online
        .as_ref()
        .map_or_else(String::new, |o| format!(" (online nodes: {o})"))
}

/// The nodes with memory, as `root/has_memory` lists them.
pub fn with_memory(root: &Path) -> Option<NodeList> {
    read_list(&root.join("has_memory"))
}

fn read_list(path: &Path) -> Option<NodeList> {
    NodeList::parse(&fs::read_to_string(path).ok()?)
}

/// Checks that `node` exists, is online and has memory according to the sysfs directory `root`
/// (normally [`SYSFS_NODES`]). What cannot be read is not checked: the kernel has the last word.
pub fn check_node(root: &Path, node: u32) -> Result<(), NodeError> {
    if !root.is_dir() {
        // A kernel without CONFIG_NUMA: leave it to the kernel.
        return Ok(());
    }
    let online = read_list(&root.join("online"));
    if !root.join(format!("node{node}")).is_dir() {
        // Only online nodes have a directory.
        return match (read_list(&root.join("possible")), online) {
            (Some(possible), Some(online)) if possible.contains(node) => {
                Err(NodeError::Offline { node, online })
            }
            (_, online) => Err(NodeError::NoSuchNode { node, online }),
        };
    }
    if let Some(online) = online {
        if !online.contains(node) {
            return Err(NodeError::Offline { node, online });
        }
    }
    if let Some(with_memory) = read_list(&root.join("has_memory")) {
        if !with_memory.contains(node) {
            return Err(NodeError::NoMemory { node, with_memory });
        }
    }
    Ok(())
}

/// The `Mems_allowed_list` of a `/proc/PID/status` text.
/// Fails if `node` is not in the process's `Mems_allowed_list` (`None`: not known, left to
/// the kernel).
pub fn check_allowed(allowed: Option<&[(u32, u32)]>, pid: u32, node: u32) -> Result<(), NodeError> {
    match allowed.map(|a| NodeList(a.to_vec())) {
        Some(allowed) if !allowed.contains(node) => {
            Err(NodeError::NotAllowed { node, pid, allowed })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fake `/sys/devices/system/node`, removed on drop.
    struct FakeSysfs(PathBuf);

    impl FakeSysfs {
        fn new(nodes: &[u32], files: &[(&str, &str)]) -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "move-pages-cli-test-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            fs::create_dir_all(&dir).unwrap();
            for n in nodes {
                fs::create_dir(dir.join(format!("node{n}"))).unwrap();
            }
            for (name, text) in files {
                fs::write(dir.join(name), text).unwrap();
            }
            Self(dir)
        }
    }

    impl Drop for FakeSysfs {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn list(s: &str) -> NodeList {
        NodeList::parse(s).unwrap()
    }

    #[test]
    fn node_lists() {
        assert_eq!(list("0\n"), NodeList(vec![(0, 0)]));
        assert_eq!(list("0-3,5,7-8"), NodeList(vec![(0, 3), (5, 5), (7, 8)]));
        assert_eq!(list(""), NodeList(vec![]));
        assert_eq!(list("\n"), NodeList(vec![]));
        for bad in ["a", "1-", "-1", "3-1", "1,,2", "1 2", "0-1-2"] {
            assert_eq!(NodeList::parse(bad), None, "{bad:?}");
        }
        let l = list("0-3,5,7-8");
        let members: Vec<u32> = (0..10).filter(|&n| l.contains(n)).collect();
        assert_eq!(members, vec![0, 1, 2, 3, 5, 7, 8]);
        assert_eq!(l.to_string(), "0-3,5,7-8");
        assert_eq!(list("").to_string(), "none");
    }

    #[test]
    fn a_node_with_memory_passes() {
        let fs = FakeSysfs::new(
            &[0, 1],
            &[
                ("online", "0-1\n"),
                ("possible", "0-3\n"),
                ("has_memory", "0-1\n"),
            ],
        );
        assert_eq!(check_node(&fs.0, 0), Ok(()));
        assert_eq!(check_node(&fs.0, 1), Ok(()));
    }

    #[test]
    fn unknown_offline_and_memoryless_nodes_fail() {
        let fs = FakeSysfs::new(
            &[0, 1, 2],
            &[
                ("online", "0-1\n"),
                ("possible", "0-3\n"),
                ("has_memory", "0\n"),
            ],
        );
        assert_eq!(
            check_node(&fs.0, 9),
            Err(NodeError::NoSuchNode {
                node: 9,
                online: Some(list("0-1"))
            })
        );
        assert_eq!(
            check_node(&fs.0, 3),
            Err(NodeError::Offline {
                node: 3,
                online: list("0-1")
            })
        );
        // A directory but not in the online list.
        assert_eq!(
            check_node(&fs.0, 2),
            Err(NodeError::Offline {
                node: 2,
                online: list("0-1")
            })
        );
        assert_eq!(
            check_node(&fs.0, 1),
            Err(NodeError::NoMemory {
                node: 1,
                with_memory: list("0")
            })
        );
        assert_eq!(
            check_node(&fs.0, 9).unwrap_err().to_string(),
            "node 9 does not exist (online nodes: 0-1)"
        );
        assert_eq!(
            check_node(&fs.0, 1).unwrap_err().to_string(),
            "node 1 has no memory (nodes with memory: 0)"
        );
    }

    #[test]
    fn missing_files_are_left_to_the_kernel() {
        let fs = FakeSysfs::new(&[0], &[]);
        assert_eq!(check_node(&fs.0, 0), Ok(()));
        assert_eq!(
            check_node(&fs.0, 1),
            Err(NodeError::NoSuchNode {
                node: 1,
                online: None
            })
        );
        assert_eq!(check_node(&fs.0.join("nonexistent"), 5), Ok(()));
    }

    #[test]
    fn cpuset_mems_allowed() {
        let allowed = [(0, 0), (2, 2)];
        assert_eq!(check_allowed(Some(&allowed), 42, 2), Ok(()));
        let e = check_allowed(Some(&allowed), 42, 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "node 1 is not allowed by the cpuset of process 42 (Mems_allowed_list: 0,2)"
        );
        assert_eq!(check_allowed(None, 42, 1), Ok(()));
    }
}
