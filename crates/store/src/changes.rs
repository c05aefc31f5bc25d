//! Coordination between server processes that share one store: the change feed after which every node
//! drops its caches, and the lock that serialises read-modify-write changes made through the API.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Maximum undelivered events a feed buffers. Any one event makes the receiver drop all of its caches, so
/// a full buffer can drop further events without losing an invalidation.
pub const FEED_BUFFER: usize = 64;

/// One event of a [`ChangeFeed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeEvent {
    /// A write committed through some node, possibly this one. The topic names what changed, such as
    /// `"role"` or `"oidc_provider"`, and is meant for logs.
    Committed {
        /// What changed.
        topic: String,
    },
    /// The feed connected or reconnected after losing its connection. Changes made while it was
    /// disconnected were not delivered, so a receiver must treat every cached object as stale.
    Resumed,
}

/// Stream of [`ChangeEvent`]s from a store that several processes share. Dropping the feed stops the
/// background task that listens to the database.
pub struct ChangeFeed {
    events: mpsc::Receiver<ChangeEvent>,
    task: JoinHandle<()>,
}

impl ChangeFeed {
    /// Wraps the receiving end of a channel fed by `task`; the task ends when the feed is dropped.
    pub fn new(events: mpsc::Receiver<ChangeEvent>, task: JoinHandle<()>) -> Self {
        Self { events, task }
    }

    /// Waits for the next event. Returns `None` only when the listening task has ended.
    pub async fn next(&mut self) -> Option<ChangeEvent> {
        self.events.recv().await
    }
}

impl Drop for ChangeFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed").finish_non_exhaustive()
    }
}

/// Proof that the caller holds the store's admin write lock. Dropping it releases the lock.
pub struct AdminWriteLock {
    _held: Box<dyn Send>,
}

impl AdminWriteLock {
    /// Wraps whatever keeps the lock held until it is dropped, such as a mutex guard or an open
    /// database transaction.
    pub fn new(held: impl Send + 'static) -> Self {
        Self {
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for AdminWriteLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminWriteLock").finish_non_exhaustive()
    }
}
