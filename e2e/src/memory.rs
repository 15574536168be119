//! Resident memory of a running process, read from `/proc/<pid>/status`, for the benchmarks'
//! memory figures.

/// A process's resident memory, in KiB (0 where the kernel does not report a field).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessMemory {
    /// Resident set now (`VmRSS`).
    pub rss_kib: u64,
    /// Its anonymous part: heap, stacks (`RssAnon`).
    pub anon_kib: u64,
    /// Its file-backed part: code and mapped files (`RssFile`).
    pub file_kib: u64,
    /// Peak resident set since start (`VmHWM`).
    pub peak_kib: u64,
}

impl ProcessMemory {
    /// Reads process `pid`'s figures; all 0 when the process is gone.
    pub fn of(pid: u32) -> Self {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        Self::parse(&status)
    }

    fn parse(status: &str) -> Self {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|value| value.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        ProcessMemory {
            rss_kib: field("VmRSS:"),
            anon_kib: field("RssAnon:"),
            file_kib: field("RssFile:"),
            peak_kib: field("VmHWM:"),
        }
    }
}

/// KiB as MiB, for printing.
pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_resident_fields_in_kib() {
        let status = "Name:\tsource-controller\nVmHWM:\t   20172 kB\nVmRSS:\t   19865 kB\nRssAnon:\t    5324 kB\nRssFile:\t   14541 kB\n";
        assert_eq!(
            ProcessMemory::parse(status),
            ProcessMemory {
                rss_kib: 19865,
                anon_kib: 5324,
                file_kib: 14541,
                peak_kib: 20172
            }
        );
        assert_eq!(ProcessMemory::parse(""), ProcessMemory::default());
    }

    #[test]
    fn this_process_is_resident() {
        let own = ProcessMemory::of(std::process::id());
        assert!(own.rss_kib > 0 && own.peak_kib >= own.rss_kib, "{own:?}");
    }
}
