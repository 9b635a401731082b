//! The log panel's store: warnings and errors stay visible after the status line has moved on.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub level: Level,
    /// Wall-clock time, "HH:MM:SS" UTC.
    pub time: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct Log {
    pub entries: Vec<LogEntry>,
}

/// Entries kept; older ones are dropped first.
const CAPACITY: usize = 2_000;

impl Log {
    pub fn push(&mut self, level: Level, message: impl Into<String>) {
        if self.entries.len() >= CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push(LogEntry {
            level,
            time: clock(),
            message: message.into(),
        });
    }

    pub fn info(&mut self, message: impl Into<String>) {
        self.push(Level::Info, message);
    }

    pub fn warn(&mut self, message: impl Into<String>) {
        self.push(Level::Warning, message);
    }

    pub fn error(&mut self, message: impl Into<String>) {
        self.push(Level::Error, message);
    }

    pub fn count(&self, level: Level) -> usize {
        self.entries.iter().filter(|e| e.level == level).count()
    }

    pub fn last(&self) -> Option<&LogEntry> {
        self.entries.last()
    }
}

fn clock() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let day = secs % 86_400;
    format!("{:02}:{:02}:{:02}", day / 3600, day / 60 % 60, day % 60)
}
