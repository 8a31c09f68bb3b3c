//! The desktop app's figures: a measure to watch, not a test.
//!
//! Starts the app (the `lineup` binary of this workspace, in the profile
//! this program was built with) under Xvfb through WebDriver, `RUNS` times,
//! and prints:
//!
//! - from the app's start (asking WebDriver for a window) to its first
//!   paint: the start page's heading in the DOM and the frame that shows
//!   it drawn (two animation frames later), each run and the median; on a new
//!   data dir (first start: the node makes its key and database) and on the
//!   same data dir again;
//! - after 10 s idle, the memory of the app and its WebKit processes, as
//!   the sum of their PSS (`/proc/<pid>/smaps_rollup`), process by process.
//!
//! ```sh
//! cargo run --release -p lineup-tests --bin app_figures [RUNS] [--app PATH]
//! ```
//!
//! 5 runs unless given. `--app target/release/lineup` measures the app that
//! `scripts/build-deb` bundled, as `.ci/extended` does. It needs what
//! `tests/e2e/desktop_app.rs` needs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use lineup_tests::DesktopApp;

/// How many starts are timed unless the first argument says.
const RUNS: usize = 5;
/// How long the app idles before its memory is read.
const IDLE: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut runs = RUNS;
    let mut binary = None;
    let mut arguments = std::env::args().skip(1);
    while let Some(argument) = arguments.next() {
        if argument == "--app" {
            binary = Some(PathBuf::from(arguments.next().context("--app names no app")?));
        } else {
            runs = argument
                .parse()
                .with_context(|| format!("{argument:?} is not a number of runs"))?;
        }
    }
    anyhow::ensure!(runs > 0, "at least one run");
    let start_app = || match &binary {
        Some(binary) => DesktopApp::with_binary(binary),
        None => DesktopApp::new(),
    };

    let mut first_starts = Vec::new();
    for run in 1..=runs {
        let app = start_app()?;
        let took = start_to_first_paint(&app).await?;
        println!("first start {run}: {} ms to first paint", took.as_millis());
        first_starts.push(took);
    }
    let app = start_app()?;
    let mut starts = Vec::new();
    for run in 1..=runs {
        let took = start_to_first_paint(&app).await?;
        println!("start {run}: {} ms to first paint", took.as_millis());
        starts.push(took);
    }
    println!(
        "median, first start: {} ms",
        median(&mut first_starts).as_millis()
    );
    println!("median, later starts: {} ms", median(&mut starts).as_millis());

    let window = app.open().await?;
    window.wait_for_text("Festivals").await?;
    tokio::time::sleep(IDLE).await;
    let app_pid = app.app_process().context("the app is not running")?;
    let mut total = 0;
    for (pid, (name, kib)) in process_tree(app_pid) {
        println!("idle PSS {name} ({pid}): {:.1} MiB", kib as f64 / 1024.0);
        total += kib;
    }
    println!(
        "idle PSS, app and its WebKit processes: {:.1} MiB",
        total as f64 / 1024.0
    );
    window.close().await
}

/// Opens the app and waits until its start page shows, painted.
async fn start_to_first_paint(app: &DesktopApp) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let window = app.open().await?;
    window.wait_for_text("Festivals").await?;
    // WebKitGTK keeps no paint timing entries: two animation frames after
    // the text is in the DOM, the frame that shows it has been drawn.
    let painted = window
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
            Vec::new(),
        )
        .await?;
    let took = started.elapsed();
    anyhow::ensure!(painted == true, "the window drew no frame");
    window.close().await?;
    // The app ends with the session; the next start must not find it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.app_process().is_some() {
        anyhow::ensure!(Instant::now() < deadline, "the app outlived its session");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(took)
}

fn median(durations: &mut [Duration]) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}

/// `root` and every process below it: their names and PSS in KiB.
fn process_tree(root: u32) -> BTreeMap<u32, (String, u64)> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (name) state ppid …": the name may hold spaces.
            let (_, after_name) = stat.rsplit_once(") ")?;
            let parent = after_name.split_whitespace().nth(1)?.parse().ok()?;
            Some((pid, parent))
        })
        .collect();
    let mut tree = BTreeMap::new();
    let mut frontier = vec![root];
    while let Some(pid) = frontier.pop() {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .map(|name| name.trim().to_owned())
            .unwrap_or_default();
        tree.insert(pid, (name, pss_kib(pid)));
        frontier.extend(
            parents
                .iter()
                .filter(|(_, parent)| *parent == pid)
                .map(|(child, _)| *child),
        );
    }
    tree
}

/// A process's proportional set size in KiB; 0 if it is gone.
fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|rollup| {
            rollup.lines().find_map(|line| {
                line.strip_prefix("Pss:")
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}
