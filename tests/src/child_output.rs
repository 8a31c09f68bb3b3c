//! What a child process writes, collected while it runs.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The bytes a child wrote on one pipe so far, read on a thread of its own
/// so that the child never blocks on a full pipe.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChildOutput(Arc<Mutex<Collected>>);

#[derive(Debug, Default)]
struct Collected {
    bytes: Vec<u8>,
    /// Whether the pipe reached its end: the child closed it or exited.
    closed: bool,
}

impl ChildOutput {
    /// Starts reading `pipe` to its end.
    pub(crate) fn collect(pipe: Option<impl Read + Send + 'static>) -> Self {
        let output = Self::default();
        match pipe {
            Some(mut pipe) => {
                let output = output.clone();
                std::thread::spawn(move || {
                    let mut buffer = [0; 4096];
                    while let Ok(read @ 1..) = pipe.read(&mut buffer) {
                        output.append(&buffer[..read]);
                    }
                    output.lock().closed = true;
                });
            }
            None => output.lock().closed = true,
        }
        output
    }

    /// Adds `bytes` to what was written.
    pub(crate) fn append(&self, bytes: &[u8]) {
        self.lock().bytes.extend_from_slice(bytes);
    }

    /// What was written so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// All that was written, once the child exited: waits up to a second
    /// for the pipe's end (a grandchild may hold it open).
    pub(crate) fn text_after_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(1);
        while !self.lock().closed && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.text()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Collected> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
