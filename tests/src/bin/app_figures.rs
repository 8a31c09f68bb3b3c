//! The desktop app's figures: a measure to watch, not a test.
//!
//! Starts the app (the `lineup` binary of this workspace, in the profile
//! this program was built with) under Xvfb through WebDriver, `RUNS` times,
//! and prints:
//!
//! - from the app's start (its process starting, as a click in the menu
//!   starts it) to its first paint: the start page's heading in the DOM and
//!   the frame that shows it drawn (two animation frames later), with where
//!   the time went and the figure counted from asking WebDriver for the
//!   window; each run and the medians, on a new data dir (first start: the
//!   node makes its key and database) and on the same data dir again;
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
use serde_json::json;

/// How many starts are timed unless the first argument says.
const RUNS: usize = 5;
/// The start page's heading: the first paint that counts shows it.
const START_PAGE_TEXT: &str = "Festivals";
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
        let start = start_to_first_paint(&app).await?;
        println!("first start {run}: {}", start.describe());
        first_starts.push(start);
    }
    let app = start_app()?;
    let mut starts = Vec::new();
    for run in 1..=runs {
        let start = start_to_first_paint(&app).await?;
        println!("start {run}: {}", start.describe());
        starts.push(start);
    }
    println!("median, first start: {}", Start::median(&first_starts).describe());
    println!("median, later starts: {}", Start::median(&starts).describe());

    let window = app.open().await?;
    window.wait_for_text(START_PAGE_TEXT).await?;
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

/// One start's figures.
#[derive(Debug, Clone, Copy)]
struct Start {
    /// From asking WebDriver for a window until the page drew its start
    /// page: what the figures before this breakdown counted.
    session_to_paint: Duration,
    /// From the app's process starting (as a click in the menu starts it)
    /// until the frame with the start page was drawn: the figure that
    /// counts, without WebDriver's own start.
    process_to_paint: Duration,
    /// Of that: until the window's page began to load (GTK, WebKit and
    /// the app's setup).
    process_to_page: Duration,
    /// … until the UI ran (its `.wasm` loaded and compiled).
    page_to_ui: Duration,
    /// … until the UI had the node's address (the node started).
    ui_to_connected: Duration,
    /// … until the start page's text was in the DOM (the node's first
    /// answers), and drawn.
    connected_to_paint: Duration,
}

impl Start {
    /// Each figure's median over `starts` (each on its own: the parts need
    /// not add up to the whole).
    fn median(starts: &[Start]) -> Start {
        let median_of = |figure: fn(&Start) -> Duration| {
            let mut figures: Vec<Duration> = starts.iter().map(figure).collect();
            figures.sort();
            figures[figures.len() / 2]
        };
        Start {
            session_to_paint: median_of(|start| start.session_to_paint),
            process_to_paint: median_of(|start| start.process_to_paint),
            process_to_page: median_of(|start| start.process_to_page),
            page_to_ui: median_of(|start| start.page_to_ui),
            ui_to_connected: median_of(|start| start.ui_to_connected),
            connected_to_paint: median_of(|start| start.connected_to_paint),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} ms from the app's start to first paint (page loading after {} ms, UI running {} ms later, node connected {} ms later, start page drawn {} ms later); {} ms with WebDriver's start",
            self.process_to_paint.as_millis(),
            self.process_to_page.as_millis(),
            self.page_to_ui.as_millis(),
            self.ui_to_connected.as_millis(),
            self.connected_to_paint.as_millis(),
            self.session_to_paint.as_millis(),
        )
    }
}

/// Reads, in the page, whether the start page's heading is there, the
/// page's clock and the UI's marks: `{ shown, now, origin, running,
/// connected }` in ms (`origin` since the epoch, the others since the page
/// began to load; a mark is `null` until the UI makes it).
const READ_PAGE: &str = r#"
const mark = (name) => {
    const marks = performance.getEntriesByName(name, 'mark');
    return marks.length ? marks[0].startTime : null;
};
return {
    shown: !!document.body && document.body.innerText.includes(arguments[0]),
    now: performance.now(),
    origin: performance.timeOrigin,
    running: mark('lineup:ui-running'),
    connected: mark('lineup:connected'),
};
"#;

/// How often the page is asked whether the heading is there.
const TEXT_POLL: Duration = Duration::from_millis(10);

/// Opens the app and waits until its start page shows, painted.
async fn start_to_first_paint(app: &DesktopApp) -> anyhow::Result<Start> {
    let requested = Instant::now();
    let window = app.open().await?;
    let page = loop {
        let page = window
            .client()
            .execute(READ_PAGE, vec![json!(START_PAGE_TEXT)])
            .await?;
        if page["shown"] == true {
            break page;
        }
        anyhow::ensure!(
            requested.elapsed() < Duration::from_secs(60),
            "the start page did not show within 60 s"
        );
        tokio::time::sleep(TEXT_POLL).await;
    };
    // WebKitGTK keeps no paint timing entries: two animation frames after
    // the text is in the DOM, the frame that shows it has been drawn.
    let painted = window
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done(performance.now())));",
            Vec::new(),
        )
        .await?;
    let session_to_paint = requested.elapsed();
    let painted = painted.as_f64().context("the window drew no frame")?;
    let number = |name: &str| {
        page[name]
            .as_f64()
            .with_context(|| format!("the page has no {name}: {page}"))
    };
    let (origin, running, connected) = (number("origin")?, number("running")?, number("connected")?);
    let pid = app.app_process().context("the app is not running")?;
    let process_started = process_start_epoch_ms(pid)?;
    let window_closed = window.close().await;
    // The app ends with the session; the next start must not find it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.app_process().is_some() {
        anyhow::ensure!(Instant::now() < deadline, "the app outlived its session");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    window_closed?;
    let millis = |ms: f64| Duration::from_secs_f64(ms.max(0.0) / 1000.0);
    Ok(Start {
        session_to_paint,
        process_to_paint: millis(origin + painted - process_started),
        process_to_page: millis(origin - process_started),
        page_to_ui: millis(running),
        ui_to_connected: millis(connected - running),
        connected_to_paint: millis(painted - connected),
    })
}

/// When process `pid` started, in ms since the epoch (to 10 ms: the
/// kernel counts in clock ticks since boot).
fn process_start_epoch_ms(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let (_, after_name) = stat.rsplit_once(") ").context("no name in /proc/PID/stat")?;
    // starttime is the 22nd field; after the name come fields 3 onwards.
    let ticks: f64 = after_name
        .split_whitespace()
        .nth(19)
        .context("no starttime in /proc/PID/stat")?
        .parse()?;
    let uptime: f64 = std::fs::read_to_string("/proc/uptime")?
        .split_whitespace()
        .next()
        .context("empty /proc/uptime")?
        .parse()?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?;
    // Linux reports clock ticks at 100 per second (USER_HZ) to user space.
    Ok(now.as_secs_f64() * 1000.0 - (uptime - ticks / 100.0) * 1000.0)
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
