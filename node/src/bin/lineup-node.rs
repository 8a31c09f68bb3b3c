//! The headless Lineup node.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use lineup_core::{EncodedEntry, EncodedOperation};
use lineup_node::node::DATABASE_FILE_NAME;
use lineup_node::replica::{Ingested, Replica};
use lineup_node::store::Durability;
use lineup_node::{data_dir::default_data_dir, key_file};

/// Lineup's p2panda node: festival data that replicates on the LAN.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Where the node keeps its key and data [default: $XDG_DATA_HOME/lineup]
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,

    /// What survives a crash: `normal` survives a killed process, `full` also a
    /// power cut (one disk flush per write)
    #[arg(long, global = true, value_enum, default_value_t = DurabilityArg::Normal)]
    durability: DurabilityArg,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum DurabilityArg {
    Normal,
    Full,
}

#[derive(Subcommand)]
enum Command {
    /// Show this node's identity, creating it on first start.
    Identity,
    /// Import entries from standard input, one `<entry hex> <operation hex>`
    /// per line, as if a peer sent them. Prints `stored <entry hash>` for each
    /// entry once it is safely stored (applied, held or already there).
    Import,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let durability = match cli.durability {
        DurabilityArg::Normal => Durability::Normal,
        DurabilityArg::Full => Durability::Full,
    };
    match cli.command {
        Command::Identity => {
            let key = key_file::load_or_create(&data_dir)
                .with_context(|| format!("loading the node key from {}", data_dir.display()))?;
            println!("data dir:   {}", data_dir.display());
            println!("public key: {}", key.public_key());
        }
        Command::Import => import(&data_dir, durability)?,
    }
    Ok(())
}

fn import(data_dir: &std::path::Path, durability: Durability) -> anyhow::Result<()> {
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
    let mut replica = Replica::open(&data_dir.join(DATABASE_FILE_NAME), durability)?;
    let mut stdout = std::io::stdout().lock();
    for (number, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line?;
        let parse = || -> Option<(EncodedEntry, EncodedOperation)> {
            let (entry, operation) = line.trim().split_once(' ')?;
            Some((
                EncodedEntry::from_bytes(hex::decode(entry).ok()?),
                EncodedOperation::from_bytes(hex::decode(operation).ok()?),
            ))
        };
        let (entry, operation) = parse()
            .with_context(|| format!("line {}: expected `<entry hex> <operation hex>`", number + 1))?;
        let outcome = replica
            .ingest_from_peer("import", [(&entry, &operation)])
            .with_context(|| format!("line {}", number + 1))?;
        if let [Ingested::Applied(_) | Ingested::Held(_) | Ingested::AlreadyKnown] = outcome[..] {
            writeln!(stdout, "stored {}", entry.hash())?;
            stdout.flush()?;
        }
    }
    Ok(())
}
