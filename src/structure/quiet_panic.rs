//! Runs a closure that may panic (pdbtbx asserts on some malformed input) without the panic
//! printing "thread … panicked at …" on stderr.
//!
//! The panic hook is process-global while readers run on many threads (tests, the app's loader), so
//! the quiet hook is shared: the first reader in installs it, the last one out puts the previous hook
//! back. It is silent only for threads currently inside [`catch_quietly`] (a thread-local flag); a
//! panic anywhere else goes to the previous hook as usual.

use std::cell::Cell;
use std::panic::{self, PanicHookInfo, UnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};

type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Sync + Send + 'static>;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

struct Installed {
    /// Threads inside `catch_quietly` right now.
    readers: usize,
    /// The hook that was in place before the quiet one; the quiet hook holds the other reference.
    previous: Option<Arc<Hook>>,
}

static STATE: Mutex<Installed> = Mutex::new(Installed {
    readers: 0,
    previous: None,
});

/// Runs `f`; a panic inside it comes back as `Err(message)` and prints nothing.
pub(super) fn catch_quietly<R>(f: impl FnOnce() -> R + UnwindSafe) -> Result<R, String> {
    // The hook cannot be changed from a thread that is already panicking (a reader called from a
    // Drop during unwinding): then catch without silencing.
    let silence = !std::thread::panicking();
    if silence {
        enter();
    }
    let was_quiet = QUIET.with(|q| q.replace(true));
    let result = panic::catch_unwind(f);
    QUIET.with(|q| q.set(was_quiet));
    if silence {
        leave();
    }
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

fn enter() {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    if state.readers == 0 {
        let previous: Arc<Hook> = Arc::new(panic::take_hook());
        let delegate = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| {
            if !QUIET.with(Cell::get) {
                delegate(info);
            }
        }));
        state.previous = Some(previous);
    }
    state.readers += 1;
}

fn leave() {
    let mut state = STATE.lock().unwrap_or_else(PoisonError::into_inner);
    state.readers -= 1;
    if state.readers == 0
        && let Some(previous) = state.previous.take()
    {
        // Dropping the quiet hook drops its reference, so the original box comes back unwrapped
        // (no wrapper per load piling up).
        drop(panic::take_hook());
        match Arc::try_unwrap(previous) {
            Ok(original) => panic::set_hook(original),
            Err(shared) => panic::set_hook(Box::new(move |info| shared(info))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        assert_eq!(catch_quietly(|| 7), Ok(7));
        assert_eq!(
            catch_quietly(|| panic!("Invalid space group: {:?}", "H 3")),
            Err::<(), _>("Invalid space group: \"H 3\"".into())
        );
        let threads: Vec<_> = (0..8)
            .map(|i| {
                std::thread::spawn(move || {
                    catch_quietly(move || {
                        if i % 2 == 0 {
                            panic!("static message")
                        }
                        i
                    })
                })
            })
            .collect();
        for (i, t) in threads.into_iter().enumerate() {
            let r = t.join().unwrap();
            if i % 2 == 0 {
                assert_eq!(r, Err("static message".into()));
            } else {
                assert_eq!(r, Ok(i));
            }
        }
    }
}
