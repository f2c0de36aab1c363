//! The memory a local run may use: DataFusion's memory pool, shared fairly between the
//! operators that can spill (sorts, aggregates, joins) and tracking the largest consumers so
//! that an error can name them, with spill files in a chosen directory. The sources themselves
//! are read into memory before the plans run and are not counted against the limit.

use super::RunError;
use crate::refusal::Refusal;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;

/// The limit on the plans' memory, and where spill files go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Memory {
    /// Bytes; `None` for the default, half of the machine's memory.
    pub limit: Option<usize>,
    /// The spill directory; the system's temporary directory when not given.
    pub spill_dir: Option<PathBuf>,
}

impl Memory {
    /// The limit in bytes: the one asked for, else half of the machine's memory (none where
    /// the machine's memory cannot be read).
    pub fn bytes(&self) -> Option<usize> {
        self.limit.or_else(|| machine_memory().map(|m| m / 2))
    }
}

/// The machine's physical memory in bytes, from /proc/meminfo.
fn machine_memory() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

const UNITS: [(&str, usize); 5] = [("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10), ("B", 1)];

/// A size as `--memory-limit` takes it: `512MB`, `2GB`, `1.5GB`, `64KB` or bytes (binary
/// units: 1MB is 1,048,576 bytes).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_uppercase();
    let (number, unit) = UNITS
        .iter()
        .find_map(|(name, bytes)| t.strip_suffix(name).map(|n| (n.trim().to_string(), *bytes)))
        .or_else(|| t.strip_suffix('G').map(|n| (n.trim().to_string(), 1 << 30)))
        .or_else(|| t.strip_suffix('M').map(|n| (n.trim().to_string(), 1 << 20)))
        .unwrap_or((t.clone(), 1));
    match number.parse::<f64>() {
        Ok(v) if v >= 1.0 && (v * unit as f64) < usize::MAX as f64 => Ok((v * unit as f64) as usize),
        _ => Err(format!("`{s}` is not a size; write it as 512MB, 2GB or 64KB")),
    }
}

/// A size for messages: `256MB`, `1.5GB`.
pub fn show_size(bytes: usize) -> String {
    for (name, unit) in UNITS {
        if bytes >= unit {
            let v = bytes as f64 / unit as f64;
            let v = (v * 10.0).round() / 10.0;
            return format!("{}{name}", crate::results::plain_number(v));
        }
    }
    "0B".into()
}

/// The runtime of a local session under the limit.
pub fn runtime_env(memory: &Memory) -> Result<Arc<RuntimeEnv>, RunError> {
    let mut builder = RuntimeEnvBuilder::new();
    if let Some(bytes) = memory.bytes() {
        let top = NonZeroUsize::new(3).expect("three is not zero");
        builder = builder.with_memory_pool(Arc::new(TrackConsumersPool::new(FairSpillPool::new(bytes), top)));
    }
    if let Some(dir) = &memory.spill_dir {
        if !dir.is_dir() {
            return Err(RunError::Refused(
                Refusal::new(format!("--spill-dir {}: no such directory", dir.display()))
                    .help("create it, or leave --spill-dir out to spill to the system's temporary directory"),
            ));
        }
        builder = builder.with_disk_manager_builder(
            DiskManagerBuilder::default().with_mode(DiskManagerMode::Directories(vec![dir.clone()])),
        );
    }
    Ok(builder.build_arc()?)
}

/// A plan's failure for want of memory, said as such; other failures as they are.
pub fn explain(e: RunError, memory: &Memory) -> RunError {
    let exhausted = match e.datafusion().map(|df| df.find_root()) {
        Some(datafusion::error::DataFusionError::ResourcesExhausted(detail)) => Some(detail.clone()),
        _ => None,
    };
    match (exhausted, memory.bytes()) {
        (Some(detail), Some(limit)) => RunError::OutOfMemory { limit, detail },
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_and_show_in_binary_units() {
        assert_eq!(parse_size("128MB"), Ok(128 << 20));
        assert_eq!(parse_size("2GB"), Ok(2 << 30));
        assert_eq!(parse_size("1.5gb"), Ok(3 << 29));
        assert_eq!(parse_size("64 KB"), Ok(64 << 10));
        assert_eq!(parse_size("2G"), Ok(2 << 30));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").unwrap_err().contains("write it as 512MB, 2GB or 64KB"));
        assert!(parse_size("0MB").is_err());
        assert_eq!(show_size(256 << 20), "256MB");
        assert_eq!(show_size(3 << 29), "1.5GB");
        assert_eq!(show_size(1000), "1000B");
    }
}
