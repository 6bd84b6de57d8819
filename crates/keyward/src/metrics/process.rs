//! Process figures under their conventional Prometheus names, read from `/proc/self` at each
//! scrape (Linux; elsewhere they are left unset): resident memory, CPU time, open file
//! descriptors, start time.

use std::time::{SystemTime, UNIX_EPOCH};

use keyward_core::verify::metrics::METADATA;
use metrics::{Gauge, Key, Recorder};

/// Clock ticks per second of `/proc/self/stat`'s CPU times (`USER_HZ`, 100 on every Linux
/// architecture keyward is built for).
const TICKS_PER_SECOND: f64 = 100.0;

#[derive(Clone)]
pub(super) struct ProcessGauges {
    resident_memory: Gauge,
    cpu_seconds: Gauge,
    open_fds: Gauge,
    max_fds: Gauge,
    start_time: Gauge,
}

impl ProcessGauges {
    pub(super) fn register(recorder: &dyn Recorder) -> Self {
        let gauge =
            |name: &'static str| recorder.register_gauge(&Key::from_static_name(name), &METADATA);
        let gauges = Self {
            resident_memory: gauge("process_resident_memory_bytes"),
            cpu_seconds: gauge("process_cpu_seconds_total"),
            open_fds: gauge("process_open_fds"),
            max_fds: gauge("process_max_fds"),
            start_time: gauge("process_start_time_seconds"),
        };
        // Close enough for a start time: the metrics are made while the application starts.
        if let Ok(now) = SystemTime::now().duration_since(UNIX_EPOCH) {
            gauges.start_time.set(now.as_secs_f64());
        }
        gauges
    }

    pub(super) fn update(&self) {
        if let Some(rss) = resident_bytes() {
            self.resident_memory.set(rss);
        }
        if let Some(cpu) = cpu_seconds() {
            self.cpu_seconds.set(cpu);
        }
        if let Ok(fds) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(fds.count() as f64);
        }
        if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
            self.max_fds.set(soft as f64);
        }
    }
}

/// `VmRSS` of `/proc/self/status`, in bytes.
fn resident_bytes() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// User plus system CPU time of `/proc/self/stat` (fields 14 and 15, counted after the command
/// name, which may itself hold spaces and parentheses).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state is field 3, so utime (14) is the 12th from here.
    let utime: f64 = fields.nth(11)?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_memory_and_cpu_time() {
        assert!(resident_bytes().is_some_and(|b| b > 0.0));
        assert!(cpu_seconds().is_some_and(|s| s >= 0.0));
    }
}
