//! Tests of the policy language through its public entry points.

mod evaluate;
mod grammar;
mod properties;

use super::{compile, CompiledPolicy, PolicyError, PolicyKind};

/// Wraps statement JSON in a version 1 document.
fn document(statements: &str) -> String {
    format!(r#"{{"Version":"1","Statement":[{statements}]}}"#)
}

fn permission(statements: &str) -> CompiledPolicy {
    compile(&document(statements), PolicyKind::Permission).unwrap_or_else(|e| panic!("compile failed: {e}"))
}

fn permission_error(statements: &str) -> PolicyError {
    match compile(&document(statements), PolicyKind::Permission) {
        Ok(_) => panic!("compiled although invalid: {statements}"),
        Err(e) => e,
    }
}

fn trust_error(statements: &str) -> PolicyError {
    match compile(&document(statements), PolicyKind::Trust) {
        Ok(_) => panic!("compiled although invalid: {statements}"),
        Err(e) => e,
    }
}
