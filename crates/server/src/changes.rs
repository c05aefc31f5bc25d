//! Cache invalidation across nodes: a task that reads the store's change feed
//! and drops this node's caches for every write committed through any node,
//! and after every reconnection of the feed, when notifications may have been
//! lost. Stores that only this node writes have no feed; there each handler
//! drops the caches after its own write.

use akless_store::{ChangeEvent, StoreError};
use tokio::task::JoinHandle;

use crate::state::AppState;

/// Subscribes to the store's change feed and starts the task that applies it, or returns `None` when
/// the store has no feed. The task keeps a clone of `state`, so the caller must abort it on shutdown.
pub async fn start(state: &AppState) -> Result<Option<JoinHandle<()>>, StoreError> {
    let Some(mut feed) = state.registry().store().subscribe_changes().await? else {
        return Ok(None);
    };
    let state = state.clone();
    let task = tokio::spawn(async move {
        while let Some(event) = feed.next().await {
            match &event {
                ChangeEvent::Committed { topic } => tracing::debug!(%topic, "change committed; dropping caches"),
                ChangeEvent::Resumed => tracing::info!("change feed resumed; dropping caches"),
            }
            invalidate_caches(&state);
        }
        tracing::warn!("change feed ended; cached entries now expire only by their TTL");
    });
    tracing::info!("listening for changes made through other nodes");
    Ok(Some(task))
}

/// Drops every cache filled from the store: providers and roles, issuer clients, and the issuer's signing
/// keys, which reload so that this node's JWKS publishes a key rotated through another node. Fetched JWKS
/// go too, because a rotation on another node may publish a key that signs before this node's
/// unknown-`kid` refresh cooldown has passed.
pub fn invalidate_caches(state: &AppState) {
    state.registry().invalidate();
    state.issuer().invalidate();
    state.jwks().invalidate_all();
}
