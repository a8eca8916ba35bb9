//! A run's stop signal. The deadline or SIGINT/SIGTERM asks the run to end: trials not yet started
//! do not start, a running scenario is dropped, and the protocol sweep stops between (or inside) its
//! sections and judges what it recorded, so a stopped run still reports what it saw.

use std::future::Future;

use tokio::sync::watch;

/// Where a run learns that it should stop, and why.
#[derive(Debug, Clone)]
pub struct Stop(watch::Receiver<Option<String>>);

/// What asks a run to stop.
#[derive(Debug)]
pub struct Stopper(watch::Sender<Option<String>>);

pub fn channel() -> (Stopper, Stop) {
    let (tx, rx) = watch::channel(None);
    (Stopper(tx), Stop(rx))
}

impl Stopper {
    pub fn stop(&self, why: impl Into<String>) {
        self.0.send_replace(Some(why.into()));
    }
}

impl Stop {
    /// A signal that never fires (tests, benchmarks, library callers without a deadline).
    pub fn never() -> Stop {
        channel().1
    }

    /// Why the run was asked to stop, if it was.
    pub fn reason(&self) -> Option<String> {
        self.0.borrow().clone()
    }

    /// Resolves once the run is asked to stop.
    pub async fn requested(&self) -> String {
        let mut rx = self.0.clone();
        loop {
            if let Some(why) = rx.borrow_and_update().clone() {
                return why;
            }
            if rx.changed().await.is_err() {
                // The stopper is gone: nothing can ask any more.
                std::future::pending::<()>().await;
            }
        }
    }

    /// `work`, unless the run is asked to stop first (then `Err` with why; `work` is dropped).
    pub async fn unless_stopped<F: Future>(&self, work: F) -> Result<F::Output, String> {
        tokio::select! {
            biased;
            why = self.requested() => Err(why),
            output = work => Ok(output),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_until_a_stop_is_asked_for_and_not_after() {
        let (stopper, stop) = channel();
        assert_eq!(stop.unless_stopped(async { 1 }).await, Ok(1));
        assert_eq!(stop.reason(), None);
        let waiting = stop.unless_stopped(std::future::pending::<()>());
        stopper.stop("the run's deadline (5 s) passed");
        assert_eq!(waiting.await, Err("the run's deadline (5 s) passed".into()));
        // Already stopped: new work does not start.
        assert!(stop.unless_stopped(async { 2 }).await.is_err());
        assert_eq!(
            stop.reason().as_deref(),
            Some("the run's deadline (5 s) passed")
        );
    }

    #[tokio::test]
    async fn a_signal_that_never_fires_lets_work_finish() {
        assert_eq!(Stop::never().unless_stopped(async { 3 }).await, Ok(3));
    }
}
