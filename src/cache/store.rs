//! Files of the cache: a private directory (0700) and private entries (0600), each
//! written to a temporary file and renamed into place, so a reader never sees half.

use std::fs;
use std::path::Path;

/// Writes a cache entry atomically, mode 0600 (see [`crate::input::write_private`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::input::write_private(path, bytes, ".tmp-")
}

/// Creates the cache directory with mode 0700, tightening an existing one that others
/// can read; fails if the path is not a directory, or (an error of kind
/// `PermissionDenied` starting "owned by") if another user owns it: their directory would
/// let them read and plant entries.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let meta = fs::metadata(dir)?;
        if !meta.is_dir() {
            return Err(std::io::Error::other("not a directory"));
        }
        if !crate::input::owned_by_me(&meta) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!("owned by another user (uid {})", meta.uid()),
            ));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)?;
    if !fs::metadata(dir)?.is_dir() {
        return Err(std::io::Error::other("not a directory"));
    }
    Ok(())
}

/// Opens (creating, mode 0600) a lock file: never through a symbolic link, only a regular
/// file, and its mode is set on the open file, not through the path.
pub fn open_lock_file(path: &Path) -> std::io::Result<fs::File> {
    #[cfg(unix)]
    let file = {
        use rustix::fs::{Mode, OFlags};
        let fd = rustix::fs::open(
            path,
            OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o600),
        )
        .map_err(|e| {
            if e == rustix::io::Errno::LOOP {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "a symbolic link (not followed)",
                )
            } else {
                std::io::Error::from(e)
            }
        })?;
        fs::File::from(fd)
    };
    #[cfg(not(unix))]
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o777 != 0o600 {
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_whole_files_and_leave_no_temporaries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.json");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn lock_files_are_never_opened_through_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("victim");
        fs::write(&target, b"x").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o644)).unwrap();
        let planted = dir.path().join("k.lock");
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        assert!(open_lock_file(&planted).is_err());
        assert_eq!(
            fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o644,
            "the link's target keeps its mode"
        );
        let dangling = dir.path().join("d.lock");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        assert!(open_lock_file(&dangling).is_err());
        assert!(
            !dir.path().join("nowhere").exists(),
            "nothing created through a link"
        );
        let ok = dir.path().join("ok.lock");
        open_lock_file(&ok).unwrap();
        assert_eq!(
            fs::metadata(&ok).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn a_file_in_the_way_is_not_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, b"x").unwrap();
        assert!(create_private_dir(&file.join("cache")).is_err());
        assert!(create_private_dir(&file).is_err());
    }
}
