//! The panels of the window, each an `impl NesbindApp` block.

mod files;
mod labels;
mod log;
mod protein;
mod training;
mod view;
