//! The per-key, cross-process lock: an OS advisory lock on a file next to the entry, so
//! that concurrent invocations for one key make one request.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, Instant};

use super::LOCK_WAIT;

/// A held per-key lock; released on drop.
pub struct Lock {
    file: Option<File>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(f) = self.file.take() {
            let _ = f.unlock();
        }
    }
}

/// Takes the lock on `path`, waiting at most [`LOCK_WAIT`]; after that, or if locking
/// fails, goes on unlocked after a warning.
pub fn acquire(path: &Path, warn: &dyn Fn(&str)) -> Lock {
    let file = match super::store::open_lock_file(path) {
        Ok(f) => f,
        Err(e) => {
            warn(&format!("cannot lock {}: {e}", path.display()));
            return Lock { file: None };
        }
    };
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Lock { file: Some(file) },
            Err(fs::TryLockError::WouldBlock) if started.elapsed() < LOCK_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                warn(
                    "another entra-token holds the cache lock for over a minute; going on without it",
                );
                return Lock { file: None };
            }
            Err(fs::TryLockError::Error(e)) => {
                warn(&format!("cannot lock {}: {e}", path.display()));
                return Lock { file: None };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_waits_until_the_first_releases() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.lock");
        let first = acquire(&path, &|w| panic!("{w}"));
        assert!(first.file.is_some());
        let path2 = path.clone();
        let waiter = std::thread::spawn(move || {
            let started = Instant::now();
            let second = acquire(&path2, &|w| panic!("{w}"));
            (second.file.is_some(), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(200));
        drop(first);
        let (locked, waited) = waiter.join().unwrap();
        assert!(locked);
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
    }
}
