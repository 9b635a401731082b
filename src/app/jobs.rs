//! Background jobs: work runs on a thread and reports progress, cancellation and its result through a
//! channel that the UI drains once per frame, so the UI thread never waits on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError, channel};

/// Handed to the worker: report progress, check for cancellation.
#[derive(Clone)]
pub struct JobContext {
    progress: Sender<Progress>,
    cancel: Arc<AtomicBool>,
    repaint: egui::Context,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// 0..=1, or `None` when the amount of work is unknown.
    pub fraction: Option<f32>,
    pub message: String,
}

/// The worker stopped because the user asked it to.
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
pub struct Cancelled;

impl JobContext {
    pub fn progress(&self, fraction: Option<f32>, message: impl Into<String>) {
        // A closed channel means the UI dropped the job; the worker will notice through `cancelled`.
        self.progress
            .send(Progress {
                fraction,
                message: message.into(),
            })
            .ok();
        self.repaint.request_repaint();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `Err(Cancelled)` once the user pressed Cancel: `?` it in loops.
    pub fn check(&self) -> Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(Cancelled)
        } else {
            Ok(())
        }
    }

    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    pub fn repaint(&self) {
        self.repaint.request_repaint();
    }
}

/// How a job ended.
#[derive(Debug)]
pub enum Outcome<T> {
    Done(T),
    Failed(anyhow::Error),
    Cancelled,
}

/// A running job whose result is a `T`.
pub struct Job<T> {
    pub title: String,
    result: Receiver<anyhow::Result<T>>,
    progress_rx: Receiver<Progress>,
    pub progress: Progress,
    cancel: Arc<AtomicBool>,
    started: std::time::Instant,
}

impl<T: Send + 'static> Job<T> {
    pub fn spawn(
        ctx: &egui::Context,
        title: impl Into<String>,
        work: impl FnOnce(&JobContext) -> anyhow::Result<T> + Send + 'static,
    ) -> Self {
        let (result_tx, result) = channel();
        let (progress_tx, progress_rx) = channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let job_ctx = JobContext {
            progress: progress_tx,
            cancel: cancel.clone(),
            repaint: ctx.clone(),
        };
        let title = title.into();
        let thread_name = format!("nesbind job: {title}");
        let spawned = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let result = work(&job_ctx);
                result_tx.send(result).ok();
                job_ctx.repaint();
            });
        let job = Self {
            title,
            result,
            progress_rx,
            progress: Progress {
                fraction: None,
                message: "starting".into(),
            },
            cancel,
            started: std::time::Instant::now(),
        };
        if let Err(e) = spawned {
            // No thread: report it through the same path as a failed job.
            let (tx, rx) = channel();
            tx.send(Err(anyhow::anyhow!("could not start a worker thread: {e}")))
                .ok();
            return Self { result: rx, ..job };
        }
        job
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    /// Drains progress; returns the outcome once the worker has finished.
    pub fn poll(&mut self) -> Option<Outcome<T>> {
        while let Ok(p) = self.progress_rx.try_recv() {
            self.progress = p;
        }
        match self.result.try_recv() {
            Ok(Ok(value)) => Some(Outcome::Done(value)),
            Ok(Err(e)) if e.downcast_ref::<Cancelled>().is_some() || self.is_cancel_requested() => {
                Some(Outcome::Cancelled)
            }
            Ok(Err(e)) => Some(Outcome::Failed(e)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Outcome::Failed(anyhow::anyhow!(
                "the worker thread of '{}' stopped without a result",
                self.title
            ))),
        }
    }
}

/// The outcome of the job in `slot` once it has finished; the slot is emptied then, so a new job can start.
pub fn take_finished<T: Send + 'static>(slot: &mut Option<Job<T>>) -> Option<Outcome<T>> {
    let outcome = slot.as_mut()?.poll()?;
    *slot = None;
    Some(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T: Send + 'static>(job: &mut Job<T>) -> Outcome<T> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(o) = job.poll() {
                return o;
            }
            assert!(std::time::Instant::now() < deadline, "job did not finish");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    #[test]
    fn result_progress_and_failure_arrive() {
        let ctx = egui::Context::default();
        let mut job = Job::spawn(&ctx, "sum", |jc| {
            jc.progress(Some(0.5), "half");
            Ok(2 + 2)
        });
        assert!(matches!(wait(&mut job), Outcome::Done(4)));
        assert_eq!(job.progress.message, "half");
        let mut bad: Job<()> = Job::spawn(&ctx, "bad", |_| anyhow::bail!("broken file"));
        match wait(&mut bad) {
            Outcome::Failed(e) => assert!(e.to_string().contains("broken file")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn cancel_stops_a_loop() {
        let ctx = egui::Context::default();
        let mut job: Job<u32> = Job::spawn(&ctx, "loop", |jc| {
            loop {
                jc.check()?;
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        job.cancel();
        assert!(matches!(wait(&mut job), Outcome::Cancelled));
    }
    #[test]
    fn take_finished_empties_the_slot_only_when_done() {
        let ctx = egui::Context::default();
        let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
        let mut slot = Some(Job::spawn(&ctx, "gated", move |_| {
            wait_for_go.recv()?;
            Ok(7)
        }));
        assert!(take_finished(&mut slot).is_none());
        assert!(slot.is_some(), "a running job stays in its slot");
        go.send(()).unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let outcome = loop {
            if let Some(o) = take_finished(&mut slot) {
                break o;
            }
            assert!(std::time::Instant::now() < deadline, "job did not finish");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert!(matches!(outcome, Outcome::Done(7)));
        assert!(slot.is_none());
        assert!(take_finished(&mut slot).is_none());
    }
}
