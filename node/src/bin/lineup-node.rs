//! The headless Lineup node.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use lineup_core::{EncodedEntry, EncodedOperation};

use lineup_node::api::ui_files;
use lineup_node::net::discovery::SERVICE_TYPE;
use lineup_node::net::replication::Replicated;
use lineup_node::node::{Node, NodeBuilder, DATABASE_FILE_NAME};
use lineup_node::replica::{Ingested, Replica};
use lineup_node::service::{Service, ServiceOptions};
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

    /// Where the HTTP API listens; bind another address than 127.0.0.1 to
    /// share it with the LAN
    #[arg(long, default_value = "127.0.0.1:2020")]
    http: std::net::SocketAddr,

    /// A built web UI to serve at `/`
    #[arg(long)]
    ui_dir: Option<PathBuf>,

    /// Where other nodes reach this one (QUIC, UDP)
    #[arg(long, default_value = "0.0.0.0:2022")]
    quic: std::net::SocketAddr,

    /// Another node to keep in sync with, as host:port of its QUIC address
    /// (repeat for more), for networks where nodes cannot find each other
    #[arg(long = "peer")]
    peers: Vec<std::net::SocketAddr>,

    /// A plain p2panda node, without Lineup's own schemas (key groups and the
    /// festival's), as p2panda clients and conformance tests expect
    #[arg(long)]
    bare: bool,

    /// Neither announce this node on the LAN nor look for others there
    /// (mDNS); it still dials `--peer`s and those it knew before
    #[arg(long)]
    no_mdns: bool,

    /// A schema to replicate (repeat for more); without any, every schema
    /// this node knows. Schema definitions always replicate.
    #[arg(long = "replicate")]
    replicate: Vec<lineup_core::SchemaId>,

    /// Without a command, the node runs and serves its API.
    #[command(subcommand)]
    command: Option<Command>,
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
    /// Fill the data dir with a demo festival, unless it is there already.
    /// Demo keys sign it, and their entries never leave this node.
    Demo,
    /// Write this node's identity, encrypted with a passphrase, to FILE, to
    /// move it to another device.
    ///
    /// The passphrase (at least 8 characters) is the first line of standard
    /// input, so that scripts and tests can give it.
    ExportIdentity {
        /// The identity file to write (replaced if it exists)
        file: PathBuf,
    },
    /// Replace this node's identity with the one in FILE; stop the node
    /// first. Two devices running one identity fork its logs: retire the old
    /// device.
    ///
    /// The passphrase is the first line of standard input, so that scripts
    /// and tests can give it.
    ImportIdentity {
        /// The identity file that `export-identity` wrote
        file: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    lineup_node::logging::to_stderr();
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let durability = match cli.durability {
        DurabilityArg::Normal => Durability::Normal,
        DurabilityArg::Full => Durability::Full,
    };
    match cli.command {
        None => serve(
            &data_dir,
            Node::builder().durability(durability).bare(cli.bare),
            ServiceOptions {
                http: cli.http,
                quic: cli.quic,
                peers: cli.peers,
                mdns: !cli.no_mdns,
                replicated: if cli.replicate.is_empty() {
                    Replicated::Everything
                } else {
                    Replicated::Only(cli.replicate.into_iter().collect())
                },
                ui: cli.ui_dir.as_deref().map(ui_files),
                any_port_if_taken: false,
            },
        )?,
        Some(Command::Identity) => {
            let key = key_file::load_or_create(&data_dir)
                .with_context(|| format!("loading the node key from {}", data_dir.display()))?;
            println!("data dir:   {}", data_dir.display());
            println!("public key: {}", key.public_key());
        }
        Some(Command::Import) => import(&data_dir, durability)?,
        Some(Command::Demo) => demo(
            &data_dir,
            Node::builder().data_dir(&data_dir).durability(durability),
        )?,
        Some(Command::ExportIdentity { file }) => export_identity(&data_dir, &file)?,
        Some(Command::ImportIdentity { file }) => import_identity(&data_dir, &file)?,
    }
    Ok(())
}

/// Runs the node, its API and its replication until SIGINT or SIGTERM.
fn serve(data_dir: &std::path::Path, node: NodeBuilder, options: ServiceOptions) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let serving_ui = options.ui.is_some();
        let service = Service::start(data_dir, node, options)
            .await
            .with_context(|| format!("starting the node in {}", data_dir.display()))?;
        let address = service.http_address();
        println!("data dir:   {}", data_dir.display());
        println!("public key: {}", service.node().public_key());
        println!("graphql:    http://{address}/graphql");
        println!("quic:       {}", service.quic_address());
        if service.discovering() {
            println!("mdns:       announcing and browsing {SERVICE_TYPE}");
        } else {
            println!("mdns:       off");
        }
        if serving_ui {
            println!("ui:         http://{address}/");
        }
        // The token in the fragment stays in the browser: servers never see it.
        println!("owner:      http://{address}/#token={}", service.owner_token());
        if service.shared() {
            println!("shared:     other machines can read; their writes are limited");
        }
        std::io::stdout().flush()?;
        stop_signal().await;
        service.stop().await?;
        Ok(())
    })
}

async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut interrupt), Ok(mut terminate)) =
        (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        // Without signal handlers the node still stops when it is killed.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
}

fn demo(data_dir: &std::path::Path, node: NodeBuilder) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let node = node.spawn().await.context("starting the node")?;
        if lineup_node::demo::is_here(&node).await? {
            println!("The demo festival is here already.");
        } else {
            let began = std::time::Instant::now();
            // The node made its key on start; the demo keys come from it.
            let keys = lineup_node::demo::DemoKeys::of(&key_file::load_or_create(data_dir)?);
            let demo = lineup_node::demo::make(&node, &keys)
                .await
                .context("making the demo festival")?;
            println!(
                "Made the demo festival {} ({} entries in {:.1} s).",
                demo.founded.festival,
                demo.entries,
                began.elapsed().as_secs_f64()
            );
        }
        node.stop().await?;
        Ok(())
    })
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
        match outcome[..] {
            [Ingested::Applied(_) | Ingested::Held(_) | Ingested::AlreadyKnown] => {
                writeln!(stdout, "stored {}", entry.hash())?;
            }
            [Ingested::Fork(fork)] => writeln!(
                stdout,
                "fork {}: log {} of {} is frozen at seq num {}",
                entry.hash(),
                fork.log_id,
                fork.public_key,
                fork.seq_num
            )?,
            [Ingested::Frozen] => writeln!(stdout, "frozen {}: its log is frozen by a fork", entry.hash())?,
            _ => {}
        }
        stdout.flush()?;
    }
    Ok(())
}

fn export_identity(data_dir: &std::path::Path, file: &std::path::Path) -> anyhow::Result<()> {
    let passphrase = passphrase_from_stdin()?;
    let public_key = lineup_node::identity_file::export(data_dir, &passphrase, file)
        .with_context(|| format!("exporting the identity of {}", data_dir.display()))?;
    println!("public key: {public_key}");
    println!("written to: {}", file.display());
    Ok(())
}

fn import_identity(data_dir: &std::path::Path, file: &std::path::Path) -> anyhow::Result<()> {
    let passphrase = passphrase_from_stdin()?;
    let public_key = lineup_node::identity_file::import(data_dir, file, &passphrase)
        .with_context(|| format!("importing the identity in {}", file.display()))?;
    println!("data dir:   {}", data_dir.display());
    println!("public key: {public_key}");
    eprintln!("Retire the device this identity came from: two devices running one identity fork its logs.");
    Ok(())
}

/// The first line of standard input, without its line ending: spaces may be
/// part of a passphrase.
fn passphrase_from_stdin() -> anyhow::Result<zeroize::Zeroizing<String>> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        // Read from a terminal, the passphrase shows as it is typed.
        eprint!("passphrase (it shows as you type): ");
    }
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the passphrase from standard input")?;
    let length = line.trim_end_matches(['\n', '\r']).len();
    line.truncate(length);
    Ok(line)
}
