//! How soon a visitor sees the programme: a figure to watch, not a test.
//!
//! Starts a `lineup-node` with the demo festival serving `ui/dist` (build
//! it first with `scripts/build-ui`), opens the demo's programme page in
//! a fresh headless Chromium (a new profile each time: nothing cached),
//! and prints, per run and as the median, the first contentful paint
//! (`performance.getEntriesByType('paint')`) and when the programme's first
//! slot was in the DOM, both in ms from the start of navigation; then the
//! size of the app's `.wasm` and `.js`, as served and gzipped (`gzip -9`).
//!
//! ```sh
//! cargo run --release -p lineup-tests --bin first_paint [RUNS]   # 5 unless given
//! ```
//!
//! `.ci/extended` runs it. The node runs in the profile this program was
//! built with: `--release` for the figures that count.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use lineup_tests::steps::my_festivals;
use lineup_tests::{built_ui, Browser, NodeProcess};

/// How many times the page is opened unless the first argument says.
const RUNS: usize = 5;
/// How long the programme may take to show its first slot.
const SLOT_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the page is asked whether the slot is there.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Notes when the programme's first slot title is in the DOM, in ms from
/// the start of navigation, as `window.lineupFirstSlot`. Runs before the
/// page's own scripts.
const WATCH_FIRST_SLOT: &str = r#"
window.lineupFirstSlot = null;
new MutationObserver((_, observer) => {
    const title = document.querySelector('.programme .what');
    if (title && title.textContent.trim()) {
        window.lineupFirstSlot = { at: performance.now(), title: title.textContent.trim() };
        observer.disconnect();
    }
}).observe(document, { childList: true, subtree: true, characterData: true });
"#;

/// What the watcher noted, and the first contentful paint, once the slot
/// is there and painted; `null` before (the frame that first paints may be
/// the one with the slot, and its entry comes after the slot is in the DOM).
const READ_TIMES: &str = r#"
const slot = window.lineupFirstSlot;
const paint = performance.getEntriesByType('paint').find((e) => e.name === 'first-contentful-paint');
if (!slot || !paint) { return null; }
return { slot: slot.at, title: slot.title, paint: paint.startTime };
"#;

/// One page load's figures, in ms from the start of navigation.
#[derive(Debug, Clone)]
struct Run {
    first_contentful_paint: f64,
    first_slot: f64,
    title: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let runs = match std::env::args().nth(1) {
        Some(runs) => runs
            .parse()
            .with_context(|| format!("{runs:?} is not a number of runs"))?,
        None => RUNS,
    };
    anyhow::ensure!(runs > 0, "at least one run");
    let dist = built_ui()?;
    let node = NodeProcess::builder().demo().ui_dir(&dist).start()?;
    let demo = my_festivals(&node)
        .await?
        .into_iter()
        .find(|(_, role)| role == "DEMO")
        .map(|(festival, _)| festival)
        .context("the node has no demo festival")?;
    let page = node.url(&format!("/f/{demo}/programme"));
    println!("first paint of {page}, {runs} runs, each in a fresh profile (ms from navigation start)");
    println!(
        "{:>4} {:>22} {:>16}  first slot",
        "run", "first contentful paint", "first slot in DOM"
    );

    let mut measured = Vec::with_capacity(runs);
    for number in 1..=runs {
        let run = measure(&page).await.with_context(|| format!("run {number}"))?;
        println!(
            "{number:>4} {:>22.0} {:>16.0}  {}",
            run.first_contentful_paint, run.first_slot, run.title
        );
        measured.push(run);
    }
    let fcp = median(measured.iter().map(|run| run.first_contentful_paint));
    let slot = median(measured.iter().map(|run| run.first_slot));
    println!("{:>4} {fcp:>22.0} {slot:>16.0}", "med.");

    println!("\nthe app in {}:", dist.display());
    for extension in ["wasm", "js"] {
        for file in files_ending(&dist, extension)? {
            let raw = std::fs::metadata(&file)
                .with_context(|| format!("reading {}", file.display()))?
                .len();
            println!(
                "  {:<44} {:>9} bytes, {:>9} gzipped",
                file.file_name().unwrap_or_default().to_string_lossy(),
                raw,
                gzipped_size(&file)?
            );
        }
    }
    node.stop()
}

/// Opens `page` in a new browser and waits for its first slot.
async fn measure(page: &str) -> anyhow::Result<Run> {
    let browser = Browser::start().await?;
    browser.run_before_every_page(WATCH_FIRST_SLOT).await?;
    browser.open(page).await?;
    let deadline = Instant::now() + SLOT_TIMEOUT;
    let times = loop {
        let times = browser
            .client()
            .execute(READ_TIMES, vec![])
            .await
            .context("reading the page's times")?;
        if !times.is_null() {
            break times;
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "{page} showed and painted no slot within {SLOT_TIMEOUT:?}; it shows:\n{}",
                browser.body_text().await?
            );
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    };
    browser.close().await?;
    let number = |field: &str| {
        times[field]
            .as_f64()
            .with_context(|| format!("the page gave no {field}: {times}"))
    };
    Ok(Run {
        first_contentful_paint: number("paint")?,
        first_slot: number("slot")?,
        title: times["title"].as_str().map(str::to_owned).unwrap_or_default(),
    })
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        count if count % 2 == 1 => values[count / 2],
        count => (values[count / 2 - 1] + values[count / 2]) / 2.0,
    }
}

/// The files in `dir` whose names end in `.extension`.
fn files_ending(dir: &Path, extension: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|found| found == extension))
        .collect();
    files.sort();
    Ok(files)
}

/// The size of `file` compressed by `gzip -9`.
fn gzipped_size(file: &Path) -> anyhow::Result<usize> {
    let output = Command::new("gzip")
        .args(["-9", "--stdout"])
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .context("running gzip")?;
    anyhow::ensure!(
        output.status.success(),
        "gzip {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(output.stdout.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_two() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), 2.5);
    }
}
