//! Command-line front end: `nesbind <subcommand>`; no subcommand opens the window.

mod bench;
mod bench_embed;
mod bench_peer;
mod bench_render;
mod bench_scan;
mod bench_train;
mod dataset;
mod embed;
mod evaluate;
mod label;
mod nesdb;
mod predict;
mod progress;
mod scan;
mod scan_fit;
mod train;

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
    /// Structures or folders of structures to open in the window (PDB / mmCIF, optionally .gz); none =
    /// the last session or the bundled examples.
    files: Vec<std::path::PathBuf>,
    /// Colouring of the window's view: label, prediction, pocket, residue or plddt.
    #[arg(long, value_name = "MODE", value_parser = parse_colour)]
    colour: Option<nesbind::app::state::ColourMode>,
    /// Predict every opened peptide with the bundled model once the files are read.
    #[arg(long)]
    predict: bool,
    /// Open the Protein panel on this FASTA file and scan it.
    #[arg(long, value_name = "FASTA")]
    protein: Option<std::path::PathBuf>,
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
    /// Per-residue ESM-2 embeddings of peptides (JSON or safetensors).
    Embed(embed::EmbedArgs),
    /// Build the training data set: structure labels + NESdb pattern labels + ESM-2 embeddings.
    Dataset(dataset::DatasetArgs),
    /// Train the BiLSTM tagger on a data set and write a checkpoint.
    Train(train::TrainArgs),
    /// Metrics of a checkpoint on the validation and test splits, with baselines.
    Evaluate(evaluate::EvaluateArgs),
    /// Per-residue binding probability and pocket for peptides, from a trained model.
    Predict(predict::PredictArgs),
    /// Whole proteins → NES candidates, their Φ registers and the mutants to test (also --train, --cv).
    Scan(scan::ScanArgs),
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
        Some(Command::Embed(args)) => embed::run(&args),
        Some(Command::Dataset(args)) => dataset::run(&args),
        Some(Command::Train(args)) => train::run(&args),
        Some(Command::Evaluate(args)) => evaluate::run(&args),
        Some(Command::Predict(args)) => predict::run(&args),
        Some(Command::Scan(args)) => scan::run(&args),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Device { device }) => {
            let dev = nesbind::compute::select_device(device)?;
            if let Some(note) = &dev.note {
                eprintln!("{note}");
            }
            println!("{}", dev.description);
            Ok(())
        }
        None => nesbind::app::run_with_files(
            cli.files,
            cli.screenshot,
            cli.colour,
            cli.predict,
            cli.protein,
        ),
    }
}

fn parse_colour(name: &str) -> Result<nesbind::app::state::ColourMode, String> {
    use nesbind::app::state::ColourMode;
    ColourMode::from_cli_name(name).ok_or_else(|| {
        let names: Vec<&str> = ColourMode::ALL.iter().map(|m| m.cli_name()).collect();
        format!("unknown colouring '{name}' (one of {})", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_outside_zero_to_one_are_refused_naming_the_flag() {
        for flag in ["--context-share", "--choice-share", "--cv-shares"] {
            let err = Cli::try_parse_from(["nesbind", "scan", "--cv", "5", flag, "1.5"])
                .expect_err("a share of 1.5 parses");
            let text = err.to_string();
            assert!(
                text.contains(flag) && text.contains("not a share between 0 and 1"),
                "{flag}: {text}"
            );
        }
        let err = Cli::try_parse_from(["nesbind", "scan", "--cv", "5", "--cv-shares", "0,-0.5"])
            .expect_err("a negative share in the list parses");
        assert!(err.to_string().contains("-0.5"), "{err}");
        let cli = Cli::try_parse_from(["nesbind", "scan", "--cv", "5", "--cv-shares", "0,0.5"])
            .expect("shares in 0..1 parse");
        match cli.command {
            Some(Command::Scan(args)) => assert_eq!(args.cv_shares, vec![0.0, 0.5]),
            other => panic!("parsed as {other:?}"),
        }
    }
}
