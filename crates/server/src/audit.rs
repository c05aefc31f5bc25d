//! Audit trail of every AssumeRoleWithOIDC attempt.
//!
//! Requests hand records to a bounded channel and never wait on the
//! database; one background task writes them in batches. A full channel drops
//! the record, counts it and logs the count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use akless_store::{AuditRecord, Store};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Records waiting to be written, at most.
const QUEUE_CAPACITY: usize = 16_384;
/// Records written per transaction, at most.
const BATCH_SIZE: usize = 512;
/// Time a partial batch waits for more records before it is written.
const LINGER: Duration = Duration::from_millis(5);

/// Sending side of the audit queue.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditRecord>,
    dropped: Arc<AtomicU64>,
}

impl AuditSink {
    /// Queues a record without waiting.
    pub fn record(&self, record: AuditRecord) {
        if let Err(error) = self.tx.try_send(record) {
            let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            // Log the first drop and then every thousandth, so a flood cannot flood the log too.
            if dropped == 1 || dropped % 1000 == 0 {
                let reason = match error {
                    mpsc::error::TrySendError::Full(_) => "queue full",
                    mpsc::error::TrySendError::Closed(_) => "writer stopped",
                };
                tracing::warn!(dropped_total = dropped, reason, "audit record dropped");
            }
        }
    }

    /// Number of records dropped since start.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Starts the writer task; it ends after every sink clone is dropped and the queue is drained.
pub fn start(store: Arc<dyn Store>) -> (AuditSink, JoinHandle<()>) {
    let (tx, mut rx) = mpsc::channel::<AuditRecord>(QUEUE_CAPACITY);
    let task = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(BATCH_SIZE);
        while rx.recv_many(&mut batch, BATCH_SIZE).await > 0 {
            // Under load, records arrive one at a time, so each would wake the writer and commit a
            // transaction of its own. A short wait lets them gather into one batch.
            if batch.len() < BATCH_SIZE {
                tokio::time::sleep(LINGER).await;
                while batch.len() < BATCH_SIZE {
                    match rx.try_recv() {
                        Ok(record) => batch.push(record),
                        Err(_) => break,
                    }
                }
            }
            write_batch(store.as_ref(), &batch).await;
            batch.clear();
        }
        tracing::debug!("audit writer stopped");
    });
    (AuditSink { tx, dropped: Arc::new(AtomicU64::new(0)) }, task)
}

/// Time between two deletions of audit records past the retention period.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);

/// Starts a task that deletes audit records older than `retention` every hour, or returns `None`
/// when records are kept forever.
pub fn start_retention(store: Arc<dyn Store>, retention: Option<Duration>) -> Option<JoinHandle<()>> {
    let retention = retention?;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PRUNE_INTERVAL);
        loop {
            ticks.tick().await;
            let now = time::OffsetDateTime::now_utc() - retention;
            let before_ms = akless_core::timefmt::unix_millis(now);
            match store.prune_audit(before_ms).await {
                Ok(deleted) => tracing::info!(deleted, "deleted audit records past the retention period"),
                Err(error) => tracing::warn!(%error, "deleting old audit records failed; retrying in an hour"),
            }
        }
    }))
}

async fn write_batch(store: &dyn Store, batch: &[AuditRecord]) {
    for attempt in 1..=3u32 {
        match store.insert_audit(batch).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, attempt, records = batch.len(), "audit write failed");
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
        }
    }
    tracing::error!(records = batch.len(), "audit records lost after 3 failed writes");
}
