//! Command-line front end: `nesbind <subcommand>`; no subcommand opens the window.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "nesbind", version, about = "Which NES residues bind which CRM1 pocket")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the compute device nesbind would use.
    Device {
        #[arg(long, value_enum, default_value_t = nesbind::compute::DeviceChoice::Auto)]
        device: nesbind::compute::DeviceChoice,
    },
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Device { device }) => {
            let dev = nesbind::compute::select_device(device)?;
            if let Some(note) = &dev.note {
                eprintln!("{note}");
            }
            println!("{}", dev.description);
            Ok(())
        }
        None => anyhow::bail!("the desktop window is not built yet; run `nesbind --help`"),
    }
}
