//! Writing files so that a reader never sees half of one: a temporary file beside the target,
//! flushed, then renamed over it. A write that fails (a full disk, a file-size limit) removes
//! its temporary file and leaves the target as it was; so does a run stopped by a signal
//! ([`remove_partials`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The temporary files being written now, for a signal handler to remove.
static PARTIALS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Holds a temporary file's place in [`PARTIALS`] while it is written.
struct Partial(PathBuf);

impl Partial {
    fn new(path: &Path) -> Partial {
        PARTIALS.lock().unwrap_or_else(|e| e.into_inner()).push(path.to_path_buf());
        Partial(path.to_path_buf())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        PARTIALS.lock().unwrap_or_else(|e| e.into_inner()).retain(|p| p != &self.0);
    }
}

/// Removes the temporary files of writes still under way (the process is being stopped).
pub fn remove_partials() {
    remove_all(&mut PARTIALS.lock().unwrap_or_else(|e| e.into_inner()));
}

fn remove_all(paths: &mut Vec<PathBuf>) {
    for p in paths.drain(..) {
        let _ = std::fs::remove_file(p);
    }
}

/// What to say when a file could not be written.
pub fn write_failed(path: &Path, e: &std::io::Error) -> String {
    format!(
        "{}: cannot write it ({e}); nothing was written there, and a file already there is untouched",
        path.display()
    )
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // A hidden `.NAME.XXXXXX.partial` beside the target: if the process is killed before the
    // rename, the target is untouched and the leftover says what it was.
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".partial").tempfile_in(dir)?;
    let _partial = Partial::new(tmp.path());
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    match std::fs::metadata(path) {
        // Keep the permissions of the file being replaced.
        Ok(meta) => {
            let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
        }
        // A new file is readable by others, as a plain write would make it.
        #[cfg(unix)]
        Err(_) => {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
        }
        #[cfg(not(unix))]
        Err(_) => {}
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_write_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join(".book.csv.x.partial");
        std::fs::write(&tmp, "half").unwrap();
        // Held while written, for a signal handler to find (other tests write at the same time:
        // the list itself is not cleared here).
        let held = Partial::new(&tmp);
        assert!(PARTIALS.lock().unwrap().contains(&tmp));
        remove_all(&mut vec![tmp.clone()]);
        assert!(!tmp.exists());
        drop(held);
        assert!(!PARTIALS.lock().unwrap().contains(&tmp));
    }

    #[test]
    fn replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.ind");
        std::fs::write(&p, "old").unwrap();
        write_atomically(&p, b"new text").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new text");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file is left behind");
    }
}
