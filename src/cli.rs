//! Command-line front end: `nesbind <subcommand>`; no subcommand opens the window.

mod bench;
mod label;
mod nesdb;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "nesbind",
    version,
    about = "Which NES residues bind which CRM1 pocket",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Structures to open in the window (PDB / mmCIF, optionally .gz); none = the last session or the
    /// bundled examples.
    files: Vec<std::path::PathBuf>,
    /// Save a screenshot of the window to this PNG once the files are loaded, then quit.
    #[arg(long, value_name = "PNG")]
    screenshot: Option<std::path::PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Label each NES residue of CRM1–NES complexes: binding 0/1 and the pocket (Φ0–Φ4) it fills.
    Label(label::LabelArgs),
    /// Read an NES table (NESdb export) and list its entries and skipped rows.
    Nesdb(nesdb::NesdbArgs),
    /// Time parts of the pipeline.
    Bench(bench::BenchArgs),
    /// Print the compute device nesbind would use.
    Device {
        #[arg(long, value_enum, default_value_t = nesbind::compute::DeviceChoice::Auto)]
        device: nesbind::compute::DeviceChoice,
    },
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Label(args)) => label::run(&args),
        Some(Command::Nesdb(args)) => nesdb::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Device { device }) => {
            let dev = nesbind::compute::select_device(device)?;
            if let Some(note) = &dev.note {
                eprintln!("{note}");
            }
            println!("{}", dev.description);
            Ok(())
        }
        None => nesbind::app::run_with_files(cli.files, cli.screenshot),
    }
}
