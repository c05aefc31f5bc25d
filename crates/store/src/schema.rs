//! Schema version checks shared by the backends.

use sqlx::migrate::Migrator;

use crate::error::StoreError;

/// Returns the version of the newest migration `migrator` contains.
pub(crate) fn newest_known(migrator: &Migrator) -> i64 {
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// Fails with `SchemaTooNew` when the database has a migration newer than any in `migrator`. A node must
/// not write through a schema it was not built for, so this check runs before migrating.
pub(crate) fn reject_newer(
    backend: &'static str,
    applied: Option<i64>,
    migrator: &Migrator,
) -> Result<(), StoreError> {
    let supported = newest_known(migrator);
    match applied {
        Some(found) if found > supported => Err(StoreError::SchemaTooNew {
            backend,
            found,
            supported,
        }),
        _ => Ok(()),
    }
}
