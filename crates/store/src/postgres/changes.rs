//! The change feed: a dedicated connection that LISTENs on [`CHANGE_CHANNEL`] and reconnects with backoff.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions};
use tokio::sync::mpsc;

use super::CHANGE_CHANNEL;
use crate::changes::{ChangeEvent, ChangeFeed, FEED_BUFFER};
use crate::error::StoreError;

/// First wait before reconnecting after the listening connection failed.
const FIRST_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Maximum wait between reconnection attempts.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Maximum characters of a notification payload kept as its topic, because anyone with access to the
/// database can send one.
const MAX_TOPIC_CHARS: usize = 64;

/// Connects a listener and spawns the task that forwards its notifications.
pub(super) async fn subscribe(options: PgConnectOptions) -> Result<ChangeFeed, StoreError> {
    // A pool of one connection without lifetime limits, used only to open and reopen the listener.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(options);
    let listener = listen(&pool)
        .await
        .map_err(|e| StoreError::Backend(format!("failed to LISTEN on {CHANGE_CHANNEL}: {e}")))?;
    let (events, receiver) = mpsc::channel(FEED_BUFFER);
    let task = tokio::spawn(forward(pool, listener, events));
    Ok(ChangeFeed::new(receiver, task))
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANGE_CHANNEL).await?;
    Ok(listener)
}

/// Forwards notifications until the feed is dropped, reconnecting whenever the connection fails.
async fn forward(pool: PgPool, mut listener: PgListener, events: mpsc::Sender<ChangeEvent>) {
    loop {
        let error = loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    let topic = notification
                        .payload()
                        .chars()
                        .take(MAX_TOPIC_CHARS)
                        .collect();
                    if !deliver(&events, ChangeEvent::Committed { topic }) {
                        return;
                    }
                }
                // sqlx reconnected and listens again, but notifications sent in between are lost.
                Ok(None) => {
                    tracing::warn!(
                        channel = CHANGE_CHANNEL,
                        "change feed lost its connection and reconnected; dropping every cache"
                    );
                    if !deliver(&events, ChangeEvent::Resumed) {
                        return;
                    }
                }
                Err(error) => break error,
            }
        };
        drop(listener);
        tracing::warn!(channel = CHANGE_CHANNEL, %error, "change feed connection failed");

        listener = reconnect(&pool).await;
        if !deliver(&events, ChangeEvent::Resumed) {
            return;
        }
    }
}

/// Opens a new listener, waiting with exponential backoff between failed attempts.
async fn reconnect(pool: &PgPool) -> PgListener {
    let mut delay = FIRST_RETRY_DELAY;
    let mut attempt: u32 = 1;
    loop {
        tokio::time::sleep(delay).await;
        match listen(pool).await {
            Ok(listener) => {
                tracing::info!(channel = CHANGE_CHANNEL, attempt, "change feed reconnected");
                return listener;
            }
            Err(error) => {
                delay = (delay * 2).min(MAX_RETRY_DELAY);
                tracing::warn!(
                    channel = CHANGE_CHANNEL,
                    attempt,
                    retry_in_ms = delay.as_millis() as u64,
                    %error,
                    "change feed reconnect failed"
                );
                attempt = attempt.saturating_add(1);
            }
        }
    }
}

/// Queues an event and returns `false` once the feed was dropped. A full queue drops the event, which
/// loses nothing: the receiver drops every cache for each queued event and has not handled those yet.
fn deliver(events: &mpsc::Sender<ChangeEvent>, event: ChangeEvent) -> bool {
    match events.try_send(event) {
        Ok(()) | Err(mpsc::error::TrySendError::Full(_)) => true,
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}
