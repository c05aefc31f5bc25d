//! Caller authentication and authorization: request signatures (V1 and V3)
//! and policy checks for admin actions.

mod authorize;
mod verify;

pub use authorize::{authorize, condition_context};
pub use verify::verify_signed_request;

use akless_core::seal::SessionClaims;

/// The authenticated caller of a signed request.
pub enum Caller {
    /// The account's root AccessKey: every action is allowed.
    Root {
        /// AccessKeyId that signed the request.
        access_key_id: String,
    },
    /// Temporary credentials from AssumeRoleWithOIDC.
    Session(Box<SessionClaims>),
}

impl Caller {
    /// AccessKeyId that signed the request, for logs.
    pub fn access_key_id(&self) -> &str {
        match self {
            Caller::Root { access_key_id } => access_key_id,
            Caller::Session(claims) => &claims.access_key_id,
        }
    }
}
