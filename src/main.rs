mod cli;

fn main() -> std::process::ExitCode {
    tune_allocator();
    match cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc serves every allocation above 128 KiB–32 MiB with a fresh mmap and returns it on free, so
/// the activations of each batch (a few MiB per layer) page-fault in anew every time: 15 % of a
/// one-thread ESM-2 run. Keeping them in the heap makes the freed pages reusable. Heap growth past
/// 512 MiB is still returned to the system. A user's own `MALLOC_*_` settings win.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let user_set = std::env::vars_os().any(|(k, _)| {
            k.to_str()
                .is_some_and(|k| k.starts_with("MALLOC_") && k.ends_with('_'))
        });
        if !user_set {
            // SAFETY: mallopt only sets glibc allocator thresholds; it runs before any other
            // thread exists, and a refused value leaves glibc's default in place.
            unsafe {
                libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
                libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
                libc::mallopt(libc::M_TOP_PAD, 64 << 20);
            }
        }
    }
}
