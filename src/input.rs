//! Files: reading what comes from outside the process, bounded (files and stdin of at
//! most [`MAX_INPUT`] bytes, and only regular files, so that a FIFO that never ends or
//! never starts, `/dev/zero` or a planted symbolic link can neither hang nor exhaust the
//! tool), and the one writer of private files ([`write_private`]).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The most any secret, certificate, token, CA bundle, cache entry or pasted line may be.
pub const MAX_INPUT: usize = 1024 * 1024;

/// How a file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Follow {
    /// A symbolic link is followed (files the user names).
    Links,
    /// A symbolic link is refused (files in the cache directory).
    NoLinks,
}

/// Opens `path` for reading without blocking on a FIFO, and checks that it is a regular
/// file.
pub fn open_regular(path: &Path, follow: Follow) -> io::Result<File> {
    let file = open_nonblocking(path, follow)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", file_kind(&meta)),
        ));
    }
    Ok(file)
}

#[cfg(unix)]
fn open_nonblocking(path: &Path, follow: Follow) -> io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let mut flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY;
    if follow == Follow::NoLinks {
        flags |= OFlags::NOFOLLOW;
    }
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|e| {
        if follow == Follow::NoLinks && e == rustix::io::Errno::LOOP {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "a symbolic link (not followed)",
            )
        } else {
            io::Error::from(e)
        }
    })?;
    Ok(File::from(fd))
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path, follow: Follow) -> io::Result<File> {
    if follow == Follow::NoLinks && std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a symbolic link (not followed)",
        ));
    }
    File::open(path)
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Reads at most [`MAX_INPUT`] bytes; more is an error.
pub fn read_bounded(reader: impl Read) -> io::Result<Vec<u8>> {
    let limit = u64::try_from(MAX_INPUT).unwrap_or(u64::MAX) + 1;
    let mut bytes = Vec::new();
    reader.take(limit).read_to_end(&mut bytes)?;
    if bytes.len() > MAX_INPUT {
        return Err(too_large());
    }
    Ok(bytes)
}

fn too_large() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than {} MiB; refused", MAX_INPUT / (1024 * 1024)),
    )
}

/// Reads a regular file of at most [`MAX_INPUT`] bytes (a symbolic link is followed).
pub fn read_file(path: &Path) -> io::Result<Vec<u8>> {
    let file = open_regular(path, Follow::Links)?;
    if file.metadata()?.len() > MAX_INPUT as u64 {
        return Err(too_large());
    }
    read_bounded(file)
}

/// Reads stdin to its end, at most [`MAX_INPUT`] bytes.
pub fn read_stdin() -> io::Result<Vec<u8>> {
    read_bounded(io::stdin().lock())
}

/// Reads `path`, or stdin when it is `-`.
pub fn read_path_or_stdin(path: &Path) -> io::Result<Vec<u8>> {
    if path == Path::new("-") {
        read_stdin()
    } else {
        read_file(path)
    }
}

/// Replaces `path` atomically with `bytes`, mode 0600: a temporary file (named `prefix`…)
/// in the same directory, written and synced, then renamed over it. A reader never sees
/// half a file, and the mode is set on the open file before any byte is written.
pub fn write_private(path: &Path, bytes: &[u8], prefix: &str) -> io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(prefix).tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether `path` (not followed) is owned by the user running this process; always true
/// where ownership does not apply.
pub fn owned_by_me(meta: &std::fs::Metadata) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        meta.uid() == rustix::process::geteuid().as_raw()
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_up_to_the_cap_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"secret\n").unwrap();
        assert_eq!(read_file(&p).unwrap(), b"secret\n");
        std::fs::write(&p, vec![b'a'; MAX_INPUT]).unwrap();
        assert_eq!(read_file(&p).unwrap().len(), MAX_INPUT);
        std::fs::write(&p, vec![b'a'; MAX_INPUT + 1]).unwrap();
        let e = read_file(&p).unwrap_err();
        assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
    }

    #[test]
    fn endless_readers_are_cut_off() {
        let e = read_bounded(io::repeat(0)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }

    #[cfg(unix)]
    #[test]
    fn devices_fifos_and_directories_are_refused_without_blocking() {
        let e = read_file(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a device)");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let e = read_file(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a FIFO)");
        let e = read_file(dir.path()).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
    }

    #[cfg(unix)]
    #[test]
    fn links_are_refused_where_asked() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, b"x").unwrap();
        let link = dir.path().join("l");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_regular(&link, Follow::Links).is_ok());
        let e = open_regular(&link, Follow::NoLinks).unwrap_err();
        assert_eq!(e.to_string(), "a symbolic link (not followed)");
    }
}
