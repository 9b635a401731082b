//! Runs the PyTorch twin of a benchmark right before nesbind's own run, on the same machine with
//! the same thread count, so the printed ratio compares like with like (a stored reference file
//! may come from another CPU).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PeerMode {
    /// Run the PyTorch script when python3 can import torch; say why not otherwise.
    #[default]
    Auto,
    /// Fail when the PyTorch run cannot be made.
    Always,
    Never,
}

/// Threads nesbind's rayon pool will use; the peer is given the same number.
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// `path` relative to the working directory, else to the source tree this binary was built from.
pub fn script(relative: &str) -> Option<PathBuf> {
    [
        PathBuf::from(relative),
        Path::new(env!("CARGO_MANIFEST_DIR")).join(relative),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn python_has(modules: &[&str]) -> Result<(), String> {
    let probe = format!("import {}", modules.join(", "));
    match Command::new("python3").args(["-c", &probe]).output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "python3 cannot `{probe}`: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )),
        Err(e) => Err(format!("python3 did not start: {e}")),
    }
}

/// Runs `python3 script args…` and returns the JSON object it prints (the whole output, or its
/// last line). `Ok(None)` when the peer is unavailable in `Auto` mode (the reason is printed).
pub fn run(
    mode: PeerMode,
    script_rel: &str,
    modules: &[&str],
    args: &[String],
) -> anyhow::Result<Option<serde_json::Value>> {
    if mode == PeerMode::Never {
        return Ok(None);
    }
    let unavailable = |why: String| -> anyhow::Result<Option<serde_json::Value>> {
        anyhow::ensure!(
            mode != PeerMode::Always,
            "no PyTorch run (--pytorch always): {why}"
        );
        eprintln!("PyTorch peer not run: {why} (--pytorch never hides this line)");
        Ok(None)
    };
    let Some(path) = script(script_rel) else {
        return unavailable(format!("{script_rel} not found"));
    };
    if let Err(why) = python_has(modules) {
        return unavailable(why);
    }
    // stderr: `--json` output stays one document.
    eprintln!(
        "PyTorch peer, right before nesbind on the same machine: python3 {} {}",
        path.display(),
        args.join(" ")
    );
    let out = Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .with_context(|| format!("running python3 {}", path.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "python3 {} failed ({}): {}",
        path.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
    );
    parse_json(&stdout)
        .map(Some)
        .with_context(|| format!("no JSON result in the output of {}", path.display()))
}

fn parse_json(stdout: &str) -> anyhow::Result<serde_json::Value> {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(stdout.trim()) {
        return Ok(v);
    }
    let last = stdout
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .context("no line starts with '{'")?;
    Ok(serde_json::from_str(last)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_whole_or_on_the_last_line() {
        let whole = parse_json("{\n \"a\": 1\n}\n").unwrap();
        assert_eq!(whole["a"], 1);
        let last = parse_json("epoch 1: 2.0 s\n{\"mean_seconds_per_epoch\": 2.0}\n").unwrap();
        assert_eq!(last["mean_seconds_per_epoch"], 2.0);
        assert!(parse_json("epoch 1: 2.0 s\n").is_err());
    }
}
