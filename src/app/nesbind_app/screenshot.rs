//! `--screenshot`: grab the window once it has settled, save it as an image and quit.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

use anyhow::Context as _;

use super::NesbindApp;

/// A pending `--screenshot`: where to save it and how far the capture has got.
pub(crate) struct ScreenshotTask {
    pub path: PathBuf,
    pub requested: bool,
    pub settle_frames: u32,
    pub rx: Receiver<Arc<egui::ColorImage>>,
    pub tx: std::sync::mpsc::Sender<Arc<egui::ColorImage>>,
}

impl NesbindApp {
    /// `--screenshot`: once files are loaded and the UI has settled, grab the window, save it, quit.
    pub(super) fn screenshot_step(&mut self, ctx: &egui::Context) {
        let busy = self.is_busy();
        let Some(task) = &mut self.screenshot else {
            return;
        };
        if let Ok(image) = task.rx.try_recv() {
            let path = task.path.clone();
            self.screenshot = None;
            match save_color_image(&image, &path) {
                Ok(()) => self
                    .log
                    .info(format!("screenshot saved to {}", path.display())),
                Err(e) => self.log.error(format!("{e:#}")),
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        if busy || task.requested {
            ctx.request_repaint();
            return;
        }
        task.settle_frames += 1;
        if task.settle_frames > 10 {
            task.requested = true;
            let tx = task.tx.clone();
            let repaint = ctx.clone();
            ctx.request_screenshot(move |img| {
                tx.send(img).ok();
                repaint.request_repaint();
            });
        }
        ctx.request_repaint();
    }
}

fn save_color_image(img: &egui::ColorImage, path: &Path) -> anyhow::Result<()> {
    let [w, h] = img.size;
    let bytes: Vec<u8> = img
        .pixels
        .iter()
        .flat_map(|c| c.to_srgba_unmultiplied())
        .collect();
    let buffer = image::RgbaImage::from_raw(w as u32, h as u32, bytes)
        .context("screenshot has an inconsistent size")?;
    buffer
        .save(path)
        .with_context(|| format!("writing {}", path.display()))
}
