//! What panels ask the application to do. A panel reads the state and pushes commands; the app drains
//! the queue once per frame, before the panels are drawn, so no panel changes state another panel is
//! in the middle of drawing, and a panel can be tested by the commands it sends.

use std::path::PathBuf;

use super::nesbind_app::{DialogKind, NesbindApp};
use super::state::{ChainStyle, ColourMode, OpenedFile};

#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Files or folders to open; the first new complex becomes active.
    Open(Vec<PathBuf>),
    /// Files with their chain choices (the bundled examples, a session).
    OpenFiles(Vec<OpenedFile>),
    /// Show this document in the view.
    Activate(usize),
    /// The next (+1) or previous (-1) complex in the folder browser's order.
    Step(isize),
    /// Draw a document as context (superposed on the active CRM1) or not.
    ShowAsContext(usize, bool),
    /// New receptor / peptide chain choice for a document.
    ChainRoles {
        document: usize,
        receptor: Option<String>,
        peptide: Option<String>,
    },
    Close(usize),
    /// Draw one chain of a document in a style (`None`: its role's default).
    ChainStyle {
        document: usize,
        chain: String,
        style: Option<ChainStyle>,
    },
    Colour(ColourMode),
    /// Predict every open peptide.
    PredictAll,
    ResetView,
    FocusPeptide,
    Dialog(DialogKind),
}

impl NesbindApp {
    /// Queues a command for the start of the next frame.
    pub fn send(&mut self, command: Command) {
        self.commands.push(command);
        self.ctx.request_repaint();
    }

    /// Runs the queued commands in the order they were sent.
    pub fn apply_commands(&mut self) {
        for command in std::mem::take(&mut self.commands) {
            self.apply(command);
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Open(paths) => self.open_paths(&paths),
            Command::OpenFiles(files) => self.open_files_and_show(files),
            Command::Activate(i) => self.set_active(i),
            Command::Step(step) => self.step_active(step),
            Command::ShowAsContext(i, on) => self.set_show_as_context(i, on),
            Command::ChainRoles {
                document,
                receptor,
                peptide,
            } => self.set_chain_roles(document, receptor, peptide),
            Command::Close(i) => self.close_document(i),
            Command::ChainStyle {
                document,
                chain,
                style,
            } => self.set_chain_style(document, &chain, style),
            Command::Colour(mode) => self.set_colour_mode(mode),
            Command::PredictAll => self.start_prediction_all(),
            Command::ResetView => self.reset_view(),
            Command::FocusPeptide => self.focus_peptide(),
            Command::Dialog(kind) => self.spawn_dialog(kind),
        }
    }
}
