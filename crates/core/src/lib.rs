//! Pure core of akless: the security decisions, with no I/O and no async.
//!
//! The type system carries the order of checks. Only [`token::verify`] builds a
//! [`token::VerifiedOidcToken`], only the policy evaluator builds a
//! [`policy::AllowDecision`], and [`mint::mint`] takes both, so a handler that
//! skips a check does not compile.
#![forbid(unsafe_code)]

pub mod arn;
pub mod error;
pub mod issuer;
pub mod jose;
pub mod mint;
pub mod policy;
pub mod random;
pub mod seal;
pub mod signature;
pub mod timefmt;
pub mod token;
pub mod trust;
pub mod validate;
