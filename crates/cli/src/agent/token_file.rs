//! The agent's token keeper: gets M2M access tokens from the issuer, publishes each one to the
//! credentials keeper and writes it to the token file that the official SDKs' OIDC provider reads
//! (`ALIBABA_CLOUD_OIDC_TOKEN_FILE`).

use std::path::PathBuf;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;
use url::Url;

use super::backoff::{token_refresh_delay, Backoff};
use crate::oauth::{self, ClientCredentials};
use crate::secret::Secret;
use crate::secure_file;

/// The newest access token. `Debug` hides it.
#[derive(Debug, Clone)]
pub struct CurrentToken {
    pub token: Secret,
    pub expires_at: OffsetDateTime,
}

/// Source of the token endpoint: set directly, or read from the issuer's discovery document.
#[derive(Debug, Clone)]
pub enum TokenEndpoint {
    Fixed(Url),
    Discover { issuer: String },
}

/// Keeps a fresh access token: refreshes it after two thirds of its lifetime, retries failures with
/// backoff and jitter, and logs one line per retry.
pub struct TokenKeeper {
    pub http: reqwest::Client,
    pub endpoint: TokenEndpoint,
    pub credentials: ClientCredentials,
    /// File to replace with each new token (mode 0600, no trailing newline); `None` keeps the token in memory.
    pub file: Option<PathBuf>,
    pub backoff: Backoff,
    pub publish: watch::Sender<Option<CurrentToken>>,
}

impl TokenKeeper {
    /// Runs until `shutdown` becomes true (or its sender is dropped).
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut failures: u32 = 0;
        let mut announced = false;
        loop {
            let delay = match self.refresh().await {
                Ok(token) => {
                    failures = 0;
                    if !announced {
                        announced = true;
                        match &self.file {
                            Some(path) => tracing::info!("token file: {}", path.display()),
                            None => tracing::info!("access token ready"),
                        }
                    }
                    let lifetime = (token.expires_at - OffsetDateTime::now_utc())
                        .try_into()
                        .unwrap_or(Duration::ZERO);
                    let delay = token_refresh_delay(lifetime);
                    tracing::info!(
                        expires_at = %akless_core::timefmt::iso8601(token.expires_at),
                        next_refresh_secs = delay.as_secs(),
                        "access token refreshed"
                    );
                    delay
                }
                Err(error) => {
                    let delay = self.backoff.random_delay(failures);
                    failures = failures.saturating_add(1);
                    let retry_in_ms = delay.as_millis() as u64;
                    let text = format!("{error:#}");
                    // A rejected client or scope stays rejected until someone changes the configuration.
                    let rejected = error
                        .downcast_ref::<oauth::OAuthError>()
                        .is_some_and(|e| !e.is_transient());
                    if rejected {
                        tracing::error!(
                            attempt = failures,
                            retry_in_ms,
                            client_id = %self.credentials.client_id,
                            error = %text,
                            "the issuer rejected the token request; check the client ID, secret and scope. Retrying"
                        );
                    } else {
                        tracing::warn!(attempt = failures, retry_in_ms, error = %text, "getting the access token failed; retrying");
                    }
                    delay
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Gets one token, writes the file and publishes the token.
    async fn refresh(&mut self) -> anyhow::Result<CurrentToken> {
        let endpoint = match &self.endpoint {
            TokenEndpoint::Fixed(url) => url.clone(),
            TokenEndpoint::Discover { issuer } => {
                let url = oauth::discover(&self.http, issuer).await?.token_endpoint;
                tracing::info!(token_endpoint = %url, "discovered the token endpoint");
                // Discovery succeeded once; later refreshes reuse the endpoint.
                self.endpoint = TokenEndpoint::Fixed(url.clone());
                url
            }
        };
        let token = oauth::request_token(&self.http, &endpoint, &self.credentials).await?;
        if let Some(path) = &self.file {
            secure_file::write_private_atomic(path, token.access_token.expose().as_bytes())?;
        }
        let current = CurrentToken {
            token: token.access_token,
            expires_at: token.expires_at,
        };
        self.publish.send_replace(Some(current.clone()));
        Ok(current)
    }
}
