//! A spinner on standard error for runs that last more than a second.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub struct Spinner {
    done: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Spinner {
    /// Shows `message` with a spinner if the work is still going after a second (and
    /// standard error is a terminal).
    pub fn after_a_second(message: &'static str) -> Spinner {
        let done = Arc::new(AtomicBool::new(false));
        if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            return Spinner { done, handle: None };
        }
        let flag = done.clone();
        let handle = std::thread::spawn(move || {
            for _ in 0..20 {
                if flag.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let bar = indicatif::ProgressBar::new_spinner().with_message(message);
            bar.enable_steady_tick(Duration::from_millis(100));
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50));
            }
            bar.finish_and_clear();
        });
        Spinner { done, handle: Some(handle) }
    }

    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
