//! Lineup's desktop app in a real window: under Xvfb, in a D-Bus session of
//! its own (the single-instance plugin asks the session bus), driven over
//! WebDriver by `tauri-driver`, which runs Debian's `WebKitWebDriver`.
//!
//! WebKitWebDriver holds one session at a time: the app's tests run one
//! after another, in one test binary.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use crate::browser::{stop_driver, Browser, Driver};
use crate::child_output::ChildOutput;
use crate::node_process::lineup_app_binary;

/// The app's identifier (`tauri.conf.json`): its data dir's name.
const APP_IDENTIFIER: &str = "org.lineup.festival";
/// How long Xvfb and tauri-driver may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// The X screen: a laptop's.
const SCREEN: &str = "1280x800x24";

/// The desktop app with a data home of its own (`XDG_DATA_HOME`), on an X
/// display of its own. Each [`open`](DesktopApp::open) starts the app; its
/// data stays until this is dropped.
#[derive(Debug)]
pub struct DesktopApp {
    app: PathBuf,
    display: Xvfb,
    data_home: tempfile::TempDir,
}

impl DesktopApp {
    /// Builds the app if needed and starts an X display for it.
    pub fn new() -> anyhow::Result<Self> {
        Self::with_binary(lineup_app_binary()?)
    }

    /// The app `app` (e.g. the one `scripts/build-deb` bundles), on an X
    /// display of its own.
    pub fn with_binary(app: &Path) -> anyhow::Result<Self> {
        let app = app
            .canonicalize()
            .with_context(|| format!("no app at {}", app.display()))?;
        let data_home = tempfile::Builder::new()
            .prefix("lineup-e2e-app-")
            .tempdir()
            .context("making the app's data home")?;
        Ok(Self {
            app,
            display: Xvfb::start()?,
            data_home,
        })
    }

    /// Where the app's node keeps its data.
    pub fn node_data_dir(&self) -> PathBuf {
        self.data_home.path().join(APP_IDENTIFIER).join("node")
    }

    /// Starts the app and a WebDriver session with its window.
    pub async fn open(&self) -> anyhow::Result<Browser> {
        let tauri_driver = tauri_driver()?;
        let port = free_port()?;
        let native_port = free_port()?;
        let mut child = Command::new("dbus-run-session")
            .arg("--")
            .arg(&tauri_driver)
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", self.display.name())
            .env("XDG_DATA_HOME", self.data_home.path())
            // Off the LAN: the node's QUIC on loopback turns mDNS off too.
            .env("LINEUP_QUIC", "127.0.0.1:0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .context("starting tauri-driver in dbus-run-session (apt-get install dbus-user-session)")?;
        let output = ChildOutput::collect(child.stderr.take());
        let stdout = ChildOutput::collect(child.stdout.take());
        // tauri-driver passes sessions on to WebKitWebDriver, which it
        // starts beside itself: both must listen.
        let listening = wait_for_port(port, &mut child).and_then(|()| wait_for_port(native_port, &mut child));
        if let Err(error) = listening {
            stop_driver(&mut child);
            anyhow::bail!(
                "{error:#}\ntauri-driver's output:\n{}{}",
                stdout.text(),
                output.text()
            );
        }
        let driver = Driver {
            child,
            output,
            url: format!("http://127.0.0.1:{port}"),
            name: "tauri-driver",
        };
        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("tauri:options".into(), json!({ "application": &self.app }));
        let browser = Browser::connect(driver, capabilities, None).await?;
        browser.settle().await?;
        Ok(browser)
    }

    /// The running app's process (the app's binary with this data home),
    /// if there is one.
    pub fn app_process(&self) -> Option<u32> {
        let wanted = format!("XDG_DATA_HOME={}", self.data_home.path().display());
        std::fs::read_dir("/proc").ok()?.flatten().find_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let exe = std::fs::read_link(entry.path().join("exe")).ok()?;
            if exe != self.app {
                return None;
            }
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == wanted.as_bytes())
                .then_some(pid)
        })
    }

    /// Starts the app again while it runs, as a person does from the menu,
    /// in the running app's D-Bus session and display, and waits (20 s at
    /// most) for the second copy to end; its exit status.
    pub fn launch_again(&self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.app_process().context("the app is not running")?;
        let environ =
            std::fs::read(format!("/proc/{pid}/environ")).context("reading the app's environment")?;
        let mut second = Command::new(&self.app);
        second
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for variable in environ.split(|byte| *byte == 0) {
            let variable = String::from_utf8_lossy(variable);
            if let Some((name, value)) = variable.split_once('=') {
                second.env(name, value);
            }
        }
        let mut second = second.spawn().context("starting the app again")?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = second.try_wait()? {
                return Ok(status);
            }
            if Instant::now() > deadline {
                let _ = second.kill();
                let _ = second.wait();
                anyhow::bail!("the second copy of the app still ran after 20 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Chooses the item at `position` (1 for the first) of the app's menu
    /// from the keyboard, as a person does without a mouse: F10 opens the
    /// menu bar's first menu, the arrow keys walk it, Return chooses.
    pub fn choose_menu_item(&self, position: usize) -> anyhow::Result<()> {
        let mut keys = vec!["F10"];
        keys.extend(std::iter::repeat_n("Down", position));
        keys.push("Return");
        self.press_keys(&keys)
    }

    /// Presses `keys` (X key names, e.g. `ctrl+q`) in the app's window,
    /// which gets the keyboard first (no window manager gives it).
    pub fn press_keys(&self, keys: &[&str]) -> anyhow::Result<()> {
        self.xdotool(&[
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            "^Lineup$",
            "windowfocus",
            "--sync",
        ])?;
        let mut pressing = vec!["key", "--delay", "150"];
        pressing.extend_from_slice(keys);
        self.xdotool(&pressing)
    }

    /// The text on the display's clipboard.
    pub fn clipboard(&self) -> anyhow::Result<String> {
        let output = Command::new("xclip")
            .args(["-out", "-selection", "clipboard"])
            .env("DISPLAY", self.display.name())
            .stdin(Stdio::null())
            .output()
            .context("running xclip (apt-get install xclip)")?;
        anyhow::ensure!(
            output.status.success(),
            "xclip could not read the clipboard: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8(output.stdout)?)
    }

    fn xdotool(&self, arguments: &[&str]) -> anyhow::Result<()> {
        let mut xdotool = Command::new("xdotool");
        xdotool
            .args(arguments)
            .env("DISPLAY", self.display.name())
            .stdin(Stdio::null());
        let (status, stderr) = run_for_at_most(&mut xdotool, START_TIMEOUT).with_context(|| {
            format!(
                "running xdotool {} (apt-get install xdotool)",
                arguments.join(" ")
            )
        })?;
        anyhow::ensure!(
            status.success(),
            "xdotool {} failed ({status}): {stderr}",
            arguments.join(" ")
        );
        Ok(())
    }

    /// Kills the app with SIGKILL, as a crash or a pulled battery would end
    /// it, and waits until it is gone.
    pub fn kill_app(&self) -> anyhow::Result<()> {
        self.signal_app(rustix::process::Signal::KILL)
    }

    /// Asks the app to quit with SIGTERM, as a logout does, and waits until
    /// it is gone.
    pub fn terminate_app(&self) -> anyhow::Result<()> {
        self.signal_app(rustix::process::Signal::TERM)
    }

    fn signal_app(&self, signal: rustix::process::Signal) -> anyhow::Result<()> {
        use rustix::process::{kill_process, Pid};

        let pid = self.app_process().context("the app is not running")?;
        let process = Pid::from_raw(pid as i32).context("no process has PID 0")?;
        kill_process(process, signal).with_context(|| format!("sending {signal:?} to the app ({pid})"))?;
        let deadline = Instant::now() + START_TIMEOUT;
        while self.app_process().is_some() {
            anyhow::ensure!(Instant::now() < deadline, "the app ({pid}) outlived {signal:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

/// The port of the app's API, as the app tells its window.
pub async fn api_port(window: &Browser) -> anyhow::Result<u16> {
    let address = window
        .client()
        .execute_async(
            "const done = arguments[arguments.length - 1]; window.__TAURI_INTERNALS__.invoke('connection').then((connection) => done(connection.address), (error) => done(String(error)));",
            Vec::new(),
        )
        .await?;
    let address = address.as_str().context("the app gave no address")?;
    address
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .with_context(|| format!("the app gave the window {address:?}, not an address with a port"))
}

/// Whether TCP `port` is listened on at every IPv4 address (`0.0.0.0`),
/// rather than on one, such as loopback's.
pub fn listens_on_every_address(port: u16) -> anyhow::Result<bool> {
    let table = std::fs::read_to_string("/proc/net/tcp").context("reading /proc/net/tcp")?;
    // "sl local_address rem_address st …", addresses as hex "IP:PORT";
    // state 0A is LISTEN.
    let every_address = format!("00000000:{port:04X}");
    Ok(table.lines().skip(1).any(|line| {
        let columns: Vec<&str> = line.split_whitespace().collect();
        columns.get(1) == Some(&every_address.as_str()) && columns.get(3) == Some(&"0A")
    }))
}

/// `tauri-driver`, as `scripts/setup` installs it.
fn tauri_driver() -> anyhow::Result<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let installed = home.join(".cargo/bin/tauri-driver");
    anyhow::ensure!(
        installed.is_file(),
        "no {}: scripts/setup installs it (cargo install tauri-driver --locked)",
        installed.display()
    );
    Ok(installed)
}

/// Runs `command` to its end, or kills it after `limit` (`xdotool search
/// --sync` waits for ever for a window that never comes): its exit status
/// and what it wrote on stderr.
fn run_for_at_most(
    command: &mut Command,
    limit: Duration,
) -> anyhow::Result<(std::process::ExitStatus, String)> {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn()?;
    let stderr = ChildOutput::collect(child.stderr.take());
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok((status, stderr.text_after_exit()));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("still running after {limit:?}: {}", stderr.text());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A port of 127.0.0.1 free a moment ago.
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

/// Waits until something listens on `port`, or `child` (tauri-driver)
/// exits.
fn wait_for_port(port: u16, child: &mut Child) -> anyhow::Result<()> {
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            anyhow::bail!("tauri-driver stopped ({status}) before it listened");
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "tauri-driver did not listen on {port} within {START_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// An X server of this harness, on a display number no other uses.
#[derive(Debug)]
struct Xvfb {
    child: Child,
    number: u32,
}

impl Xvfb {
    fn start() -> anyhow::Result<Self> {
        // Xvfb takes the display's lock file, or fails if another server
        // has it: try the next one then.
        for number in 90..190 {
            if Path::new(&format!("/tmp/.X{number}-lock")).exists() {
                continue;
            }
            let mut child = Command::new("Xvfb")
                .arg(format!(":{number}"))
                .args(["-screen", "0", SCREEN, "-nolisten", "tcp"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("starting Xvfb (apt-get install xvfb)")?;
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            let deadline = Instant::now() + START_TIMEOUT;
            loop {
                if let Some(_exited) = child.try_wait()? {
                    break;
                }
                if socket.exists() {
                    return Ok(Self { child, number });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    anyhow::bail!("Xvfb :{number} did not start within {START_TIMEOUT:?}");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        anyhow::bail!("no free X display from :90 to :189")
    }

    fn name(&self) -> String {
        format!(":{}", self.number)
    }
}

impl Drop for Xvfb {
    /// SIGTERM, so that Xvfb removes its lock file and socket.
    fn drop(&mut self) {
        use rustix::process::{kill_process, Pid, Signal};

        if let Some(pid) = Pid::from_raw(self.child.id() as i32) {
            let _ = kill_process(pid, Signal::TERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
