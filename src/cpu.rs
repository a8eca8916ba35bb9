//! CPU-seconds from `/proc` (Linux), for `bench`: this process, a process tree (Chromium and its
//! helpers, including the helpers that already exited and were reaped inside the tree), and the whole
//! machine. Elsewhere every figure reads as zero.

use std::collections::HashMap;

/// Clock ticks per second of `/proc`'s CPU times (Linux's USER_HZ, 100 on every mainstream arch).
const TICKS_PER_SECOND: f64 = 100.0;

/// One process's line of `/proc/<pid>/stat`: (parent pid, own user+system ticks, reaped children's ticks).
fn parse_stat(line: &str) -> Option<(u32, u64, u64)> {
    // The command name is in parentheses and may hold spaces or parentheses: fields follow the last ')'.
    let rest = &line[line.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let number = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    let ppid = number(1)? as u32;
    Some((ppid, number(11)? + number(12)?, number(13)? + number(14)?))
}

/// CPU-seconds of the processes at `roots` and all their descendants, alive or reaped by a living one.
pub fn tree_seconds(roots: &[u32]) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let mut procs: HashMap<u32, (u32, u64)> = HashMap::new();
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Some((ppid, own, reaped)) = std::fs::read_to_string(entry.path().join("stat"))
            .ok()
            .as_deref()
            .and_then(parse_stat)
        {
            procs.insert(pid, (ppid, own + reaped));
        }
    }
    let in_tree = |mut pid: u32| {
        for _ in 0..64 {
            if roots.contains(&pid) {
                return true;
            }
            match procs.get(&pid) {
                Some((ppid, _)) if *ppid != 0 => pid = *ppid,
                _ => return false,
            }
        }
        false
    };
    let ticks: u64 = procs
        .iter()
        .filter(|(pid, _)| in_tree(**pid))
        .map(|(_, (_, t))| t)
        .sum();
    ticks as f64 / TICKS_PER_SECOND
}

/// CPU-seconds of this process (the harness and, in the main job, the embedded servers).
pub fn own_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .as_deref()
        .and_then(parse_stat)
        .map_or(0.0, |(_, own, _)| own as f64 / TICKS_PER_SECOND)
}

/// Busy CPU-seconds of the whole machine since boot (every process, the kernel included).
pub fn machine_seconds() -> f64 {
    std::fs::read_to_string("/proc/stat")
        .ok()
        .as_deref()
        .and_then(parse_machine)
        .unwrap_or(0.0)
}

/// The `cpu` line of `/proc/stat`, without idle and iowait.
fn parse_machine(stat: &str) -> Option<f64> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy: u64 = ticks
        .iter()
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, t)| t)
        .sum();
    Some(busy as f64 / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_past_odd_command_names() {
        let line = "4242 (chromium (zyg) x) S 4200 4242 4242 0 -1 4194560 1 0 0 0 150 30 70 5 20 0 1 0 1 1 1";
        assert_eq!(parse_stat(line), Some((4200, 180, 75)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S"), None);
    }

    #[test]
    fn machine_time_leaves_out_idle_and_iowait() {
        let stat = "cpu  100 20 30 5000 70 1 2 3 0 0\ncpu0 50 10 15 2500 35 0 1 1 0 0\n";
        assert_eq!(parse_machine(stat), Some(1.56));
        assert_eq!(parse_machine("intr 1 2 3"), None);
    }

    #[test]
    fn a_reaped_child_counts_in_its_parents_tree() {
        let pid = std::process::id();
        let before = tree_seconds(&[pid]);
        // A child that burns some CPU and is reaped here: its time moves into this process's
        // children's time, which the tree counts.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done")
            .status()
            .expect("sh runs");
        assert!(status.success());
        let own = own_seconds();
        let after = tree_seconds(&[pid]);
        assert!(after >= own, "the tree holds this process: {after} < {own}");
        assert!(
            after > before,
            "the reaped child's time is counted: {before} -> {after}"
        );
        assert_eq!(tree_seconds(&[]), 0.0);
    }
}
