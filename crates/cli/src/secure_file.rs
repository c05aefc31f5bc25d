//! Files that hold tokens and secrets: bounded reads, and writes that readers never see half-done.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Permission bits of every file the CLI writes a token or credentials to: read and write for the owner only.
pub const PRIVATE_MODE: u32 = 0o600;

/// Errors of reading or writing a private file. Messages name the path, never the content.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {what} from {path}: {source}")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{what} in {path} is larger than {max} bytes")]
    TooLarge {
        what: &'static str,
        path: PathBuf,
        max: u64,
    },

    #[error("{what} in {path} is not UTF-8 text")]
    NotUtf8 { what: &'static str, path: PathBuf },

    #[error("{what} in {path} is empty")]
    Empty { what: &'static str, path: PathBuf },

    #[error("cannot write {path}: {source}; check that its folder exists and is writable")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Reads a UTF-8 file of at most `max` bytes, or standard input when `path` is `-`, and returns it
/// with surrounding ASCII whitespace removed. `what` names the content in error messages.
pub fn read_trimmed(path: &Path, what: &'static str, max: u64) -> Result<String, FileError> {
    let read_error = |source| FileError::Read {
        what,
        path: path.to_owned(),
        source,
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(read_error)?;
    } else {
        fs::File::open(path)
            .and_then(|file| file.take(max + 1).read_to_end(&mut bytes))
            .map_err(read_error)?;
    }
    if bytes.len() as u64 > max {
        return Err(FileError::TooLarge {
            what,
            path: path.to_owned(),
            max,
        });
    }
    let text = String::from_utf8(bytes).map_err(|_| FileError::NotUtf8 {
        what,
        path: path.to_owned(),
    })?;
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.is_empty() {
        return Err(FileError::Empty {
            what,
            path: path.to_owned(),
        });
    }
    Ok(trimmed.to_owned())
}

/// Replaces `path` with `content` atomically: writes a temporary file with mode 0600 in the same folder,
/// flushes it to disk and renames it over `path`.
///
/// A reader sees either the old file or the new one, never a partial write, because rename within one
/// file system is atomic. The new file has mode 0600 whatever the old one had.
pub fn write_private_atomic(path: &Path, content: &[u8]) -> Result<(), FileError> {
    let write_error = |source| FileError::Write {
        path: path.to_owned(),
        source,
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        write_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        ))
    })?;
    let temporary = folder.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        akless_core::random::random_alnum(12)
    ));

    let result = write_new_private(&temporary, content).and_then(|()| fs::rename(&temporary, path));
    if let Err(error) = result {
        // The temporary file may or may not exist at this point; a failed removal changes nothing for the caller.
        let _ = fs::remove_file(&temporary);
        return Err(write_error(error));
    }
    // Syncing the folder makes the rename itself durable; some file systems do not support it, which is harmless.
    if let Ok(dir) = fs::File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Creates `path` (which must not exist) with mode 0600 and writes `content` to disk.
fn write_new_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_MODE)
        .open(path)?;
    // The umask can only clear bits, but an explicit chmod keeps the mode exact on every platform.
    file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))?;
    file.write_all(content)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("metadata").permissions().mode() & 0o777
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn atomic_write_creates_mode_0600() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("token");
        write_private_atomic(&path, b"eyJ.first.token").expect("writes");
        assert_eq!(fs::read(&path).expect("read"), b"eyJ.first.token");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(entries(dir.path()), vec!["token".to_owned()]);
    }

    #[test]
    fn atomic_write_replaces_and_tightens_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("token");
        fs::write(&path, b"old content that is longer").expect("seed");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
        let before = fs::metadata(&path).expect("metadata");

        write_private_atomic(&path, b"new").expect("writes");

        assert_eq!(fs::read(&path).expect("read"), b"new");
        assert_eq!(mode(&path), 0o600);
        // A rename gives the path a new inode, so a reader holding the old file keeps the old content.
        let after = fs::metadata(&path).expect("metadata");
        assert_ne!(
            std::os::unix::fs::MetadataExt::ino(&before),
            std::os::unix::fs::MetadataExt::ino(&after)
        );
        assert_eq!(entries(dir.path()), vec!["token".to_owned()]);
    }

    #[test]
    fn atomic_write_old_reader_keeps_old_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("token");
        write_private_atomic(&path, b"first").expect("writes");
        let mut open_before = fs::File::open(&path).expect("open");
        write_private_atomic(&path, b"second").expect("writes");
        let mut seen = String::new();
        open_before.read_to_string(&mut seen).expect("read");
        assert_eq!(seen, "first");
        assert_eq!(fs::read_to_string(&path).expect("read"), "second");
    }

    #[test]
    fn atomic_write_missing_folder_names_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("absent").join("token");
        let error = write_private_atomic(&path, b"x").expect_err("folder missing");
        assert!(error.to_string().contains("absent/token"), "{error}");
        assert!(!dir.path().join("absent").exists());
    }

    #[test]
    fn read_trimmed_strips_newline() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        fs::write(&path, "  s3cr3t\n").expect("write");
        assert_eq!(
            read_trimmed(&path, "the secret", 100).expect("reads"),
            "s3cr3t"
        );
    }

    #[test]
    fn read_trimmed_rejects_empty_and_large() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty");
        fs::write(&empty, "\n\n").expect("write");
        let error = read_trimmed(&empty, "the token", 100).expect_err("empty");
        assert!(matches!(error, FileError::Empty { .. }), "{error:?}");

        let large = dir.path().join("large");
        fs::write(&large, "x".repeat(101)).expect("write");
        let error = read_trimmed(&large, "the token", 100).expect_err("too large");
        assert!(
            matches!(error, FileError::TooLarge { max: 100, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn read_error_hides_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bin");
        fs::write(&path, [b's', 0xff, 0xfe]).expect("write");
        let error = read_trimmed(&path, "the client secret", 100).expect_err("not UTF-8");
        assert_eq!(
            error.to_string(),
            format!("the client secret in {} is not UTF-8 text", path.display())
        );
    }
}
