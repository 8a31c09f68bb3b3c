//! The headless Lineup node.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use lineup_node::{data_dir::default_data_dir, key_file};

/// Lineup's p2panda node: festival data that replicates on the LAN.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where the node keeps its key and data [default: $XDG_DATA_HOME/lineup]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show this node's identity, creating it on first start.
    Identity,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    match cli.command {
        Command::Identity => {
            let key = key_file::load_or_create(&data_dir)
                .with_context(|| format!("loading the node key from {}", data_dir.display()))?;
            println!("data dir:   {}", data_dir.display());
            println!("public key: {}", key.public_key());
        }
    }
    Ok(())
}
