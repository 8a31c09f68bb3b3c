//! Headless Chromium, driven over WebDriver by its own `chromedriver`, with
//! helpers named after what a person does on the page.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::child_output::ChildOutput;
use crate::workspace::e2e_output_dir;

/// Debian's Chromium; `LINEUP_CHROMIUM` names another.
const CHROMIUM: &str = "/usr/bin/chromium";
/// Debian's chromedriver, of the same version; `LINEUP_CHROMEDRIVER` names
/// another.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a helper waits for the page to show what it looks for.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long chromedriver may take to listen.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long Chromium may take to start and open its first page.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);
/// How long one WebDriver command may take (a page load included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the helpers look at the page again while they wait.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How much of the page's text a failure shows.
const SHOWN_TEXT: usize = 3000;

/// The size of the browser window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    /// A laptop's: a 1280 × 900 window (its page gets 1280 × 757).
    #[default]
    Desktop,
    /// A phone held upright: a 390 × 844 page, with touch, as Chromium's
    /// device emulation shows it.
    Phone,
}

impl Window {
    fn size(self) -> (u32, u32) {
        match self {
            Window::Desktop => (1280, 900),
            Window::Phone => (390, 844),
        }
    }
}

/// A headless Chromium with a fresh profile, driven by a `chromedriver` of
/// its own on a free port of 127.0.0.1.
///
/// Its helpers wait (15 s at most) for the page to show what they look for,
/// as a person would; a failure says what the page showed instead, its
/// console's errors, and where a screenshot of it is
/// (`target/e2e/failures/<test>.png`). Dropping it ends the session and
/// stops chromedriver and the browser; [`close`](Browser::close) does the
/// same and reports errors.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    driver: Driver,
    session_id: String,
    timeout: Duration,
    closed: bool,
    // Removed after the browser stopped: fields drop after `Drop::drop`.
    _profile: Option<tempfile::TempDir>,
}

/// A WebDriver server this harness started in a process group of its own,
/// which the browser it starts joins.
#[derive(Debug)]
pub(crate) struct Driver {
    pub(crate) child: Child,
    pub(crate) output: ChildOutput,
    /// `http://127.0.0.1:PORT`
    pub(crate) url: String,
    /// For messages: `chromedriver`, `tauri-driver`.
    pub(crate) name: &'static str,
}

impl Browser {
    /// Starts a browser with a desktop-size window.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(Window::Desktop).await
    }

    /// Starts a browser with a phone-size window.
    pub async fn start_phone() -> anyhow::Result<Self> {
        Self::start_with(Window::Phone).await
    }

    /// Starts chromedriver and, through it, Chromium with a `window` size.
    pub async fn start_with(window: Window) -> anyhow::Result<Self> {
        let chromium = program("LINEUP_CHROMIUM", CHROMIUM)?;
        let chromedriver = program("LINEUP_CHROMEDRIVER", CHROMEDRIVER)?;
        let profile = tempfile::Builder::new()
            .prefix("lineup-e2e-chromium-")
            .tempdir()
            .context("making a profile dir for Chromium")?;
        let (child, output, port) = start_driver(&chromedriver)?;
        let driver = Driver {
            child,
            output,
            url: format!("http://127.0.0.1:{port}"),
            name: "chromedriver",
        };
        let (width, height) = window.size();
        let mut chrome_options = json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                // Without these it spends its time failing to reach the internet.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
        });
        if window == Window::Phone {
            // Headless windows are at least 500 px wide: a phone's viewport
            // (and touch) needs Chromium's device emulation.
            chrome_options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0, "touch": true, "mobile": true },
            });
        }
        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), chrome_options);
        // The page's console, for failure messages.
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        Self::connect(driver, capabilities, Some(profile)).await
    }

    /// Starts a session with `capabilities` on `driver`, which the browser
    /// owns from then on (and stops, with what it started, on failure).
    pub(crate) async fn connect(
        mut driver: Driver,
        mut capabilities: fantoccini::wd::Capabilities,
        profile: Option<tempfile::TempDir>,
    ) -> anyhow::Result<Self> {
        let command_timeout = COMMAND_TIMEOUT.as_millis() as u64;
        capabilities.insert(
            "timeouts".into(),
            json!({ "implicit": 0, "pageLoad": command_timeout, "script": command_timeout }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let connected = tokio::time::timeout(
            SESSION_TIMEOUT,
            ClientBuilder::new(connector)
                .capabilities(capabilities)
                .connect(&driver.url),
        )
        .await;
        let client = match connected {
            Ok(Ok(client)) => client,
            failed => {
                let reason = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => format!("no session within {SESSION_TIMEOUT:?}"),
                };
                stop_driver(&mut driver.child);
                anyhow::bail!(
                    "starting a session through {} failed: {reason}\nits output:\n{}",
                    driver.name,
                    driver.output.text_after_exit()
                );
            }
        };
        let session_id = match client.session_id().await {
            Ok(Some(id)) => id,
            _ => {
                stop_driver(&mut driver.child);
                anyhow::bail!("{} gave the new session no id", driver.name);
            }
        };
        Ok(Browser {
            client,
            driver,
            session_id,
            timeout: DEFAULT_TIMEOUT,
            closed: false,
            _profile: profile,
        })
    }

    /// Waits until the new session's page runs scripts: tauri-driver may
    /// drop the first command while the window still starts.
    pub(crate) async fn settle(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + SESSION_TIMEOUT;
        loop {
            match self.within(self.client.execute("return 1", Vec::new())).await {
                Ok(_) => return Ok(()),
                Err(error) if Instant::now() >= deadline => {
                    return Err(error.context(format!("the window ran no script within {SESSION_TIMEOUT:?}")))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// Sets how long the helpers wait for the page (15 s unless set).
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The WebDriver client, for what the helpers do not do.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Goes to `url` and waits until the page has loaded.
    pub async fn open(&self, url: &str) -> anyhow::Result<()> {
        self.command(&format!("opening {url}"), self.client.goto(url))
            .await
    }

    /// The page's title.
    pub async fn title(&self) -> anyhow::Result<String> {
        self.command("reading the title", self.client.title()).await
    }

    /// The address of the page, fragment included.
    pub async fn current_url(&self) -> anyhow::Result<String> {
        let url = self.command("reading the URL", self.client.current_url()).await?;
        Ok(url.to_string())
    }

    /// The text the page shows (`document.body.innerText`).
    pub async fn body_text(&self) -> anyhow::Result<String> {
        let text = self.script("reading the page's text", BODY_TEXT, vec![]).await?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the page shows `text` somewhere.
    pub async fn wait_for_text(&self, text: &str) -> anyhow::Result<()> {
        self.poll(async || {
            let shown = self.body_text().await?;
            Ok(if shown.contains(text) {
                Ok(())
            } else {
                Err(format!(
                    "the page does not show {text:?}; it shows:\n{}",
                    shorten(&shown)
                ))
            })
        })
        .await
    }

    /// Waits until the page no longer shows `text` anywhere.
    pub async fn wait_for_text_gone(&self, text: &str) -> anyhow::Result<()> {
        self.poll(async || {
            let shown = self.body_text().await?;
            Ok(if shown.contains(text) {
                Err(format!("the page still shows {text:?}:\n{}", shorten(&shown)))
            } else {
                Ok(())
            })
        })
        .await
    }

    /// Clicks the button or link that shows `label` (or has it as its
    /// `aria-label` or `title`; or, if only one does, whose text contains
    /// it), once it is shown and enabled.
    pub async fn click_button(&self, label: &str) -> anyhow::Result<()> {
        self.poll(async || {
            let (element, disabled) = match self.find_clickable(label).await? {
                Ok(found) => found,
                Err(missing) => return Ok(Err(missing)),
            };
            if disabled {
                return Ok(Err(format!("the button {label:?} stays disabled")));
            }
            // As a person scrolls it into sight: WebDriver scrolls it only
            // to the window's edge, where the app's top bar covers it.
            self.script("scrolling to a button", SCROLL_TO_MIDDLE, vec![json!(element)])
                .await?;
            Ok(match self.within(element.click()).await {
                Ok(()) => Ok(()),
                // Something covers it, or the page re-rendered it: look again.
                Err(error) => Err(format!("clicking {label:?} failed: {error}")),
            })
        })
        .await
    }

    /// Whether the button or link that shows `label` (found as by
    /// [`click_button`](Browser::click_button)) is disabled; waits until the
    /// page shows it.
    pub async fn is_disabled(&self, label: &str) -> anyhow::Result<bool> {
        self.poll(async || Ok(self.find_clickable(label).await?.map(|(_, disabled)| disabled)))
            .await
    }

    /// Types `value` into the field whose `<label>` says `field` (or whose
    /// `name`, `aria-label`, `placeholder` or `id` is `field`), replacing
    /// what it held; a `<select>` gets the option that shows `value`. Dates
    /// and times are given as their `value`s are written (`2026-07-10`,
    /// `14:30`).
    pub async fn fill(&self, field: &str, value: &str) -> anyhow::Result<()> {
        let (element, kind) = self.find_field(field).await?;
        match kind.as_str() {
            "select" => return self.choose(field, element, value).await,
            "checkbox" | "radio" | "file" => {
                return Err(self
                    .failure(format!(
                        "the field {field:?} is a {kind}, which is not filled in: click its label instead"
                    ))
                    .await)
            }
            // Their keyboard entry depends on the locale; a person's choice
            // in the picker ends as the same value and events.
            "date" | "time" | "datetime-local" | "month" | "week" | "color" | "range" => {
                self.script("setting a value", SET_VALUE, vec![json!(element), json!(value)])
                    .await?;
            }
            _ => {
                self.command(&format!("clearing {field:?}"), element.clear())
                    .await?;
                // Clearing fires no input event; the page must see the field empty.
                self.script("emptying a field", SET_VALUE, vec![json!(element), json!("")])
                    .await?;
                self.command(&format!("typing into {field:?}"), element.send_keys(value))
                    .await?;
            }
        }
        let held = self
            .script("reading a field", FIELD_VALUE, vec![json!(element)])
            .await?;
        if held.as_str() != Some(value) {
            return Err(self
                .failure(format!(
                    "the field {field:?} holds {held} after filling in {value:?}"
                ))
                .await);
        }
        Ok(())
    }

    /// Chooses the option that shows `option` in the `<select>` whose
    /// `<label>` says `field` (or whose `name`, `aria-label` or `id` is
    /// `field`); waits until the option is there.
    pub async fn select(&self, field: &str, option: &str) -> anyhow::Result<()> {
        let (element, kind) = self.find_field(field).await?;
        if kind != "select" {
            return Err(self
                .failure(format!("the field {field:?} is {kind:?}, not a <select>"))
                .await);
        }
        self.choose(field, element, option).await
    }

    /// The text shown by the first element that matches the CSS `selector`,
    /// once there is one.
    pub async fn text_of(&self, selector: &str) -> anyhow::Result<String> {
        self.poll(async || {
            let text = self
                .script(&format!("looking for {selector}"), TEXT_OF, vec![json!(selector)])
                .await?;
            Ok(match text.as_str() {
                Some(text) => Ok(text.to_owned()),
                None => Err(format!("nothing on the page matches {selector:?}")),
            })
        })
        .await
    }

    /// Waits until an element that matches the CSS `selector` shows `text`
    /// (one of them, if several match).
    pub async fn wait_for_text_in(&self, selector: &str, text: &str) -> anyhow::Result<()> {
        self.poll(async || {
            let shown = self
                .script(
                    &format!("looking for {selector}"),
                    TEXTS_OF,
                    vec![json!(selector)],
                )
                .await?;
            let shown: Vec<&str> = shown
                .as_array()
                .map(|texts| texts.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            Ok(if shown.iter().any(|shown| shown.contains(text)) {
                Ok(())
            } else if shown.is_empty() {
                Err(format!("nothing on the page matches {selector:?}"))
            } else {
                Err(format!(
                    "no {selector:?} shows {text:?}; they show {}",
                    listed(&json!(shown))
                ))
            })
        })
        .await
    }

    /// The text shown by the first element that matches the CSS `selector`
    /// within the part of the page headed `heading` (the `<section>`, or
    /// else the element, around an `<h1>`–`<h3>` that says it), once there
    /// is one.
    pub async fn text_under_heading(&self, heading: &str, selector: &str) -> anyhow::Result<String> {
        self.poll(async || {
            let found = self
                .script(
                    &format!("looking for {selector} under {heading:?}"),
                    TEXT_UNDER_HEADING,
                    vec![json!(heading), json!(selector)],
                )
                .await?;
            Ok(match found["text"].as_str() {
                Some(text) => Ok(text.to_owned()),
                None if found["headed"] == true => Err(format!(
                    "nothing under the heading {heading:?} matches {selector:?}"
                )),
                None => Err(format!(
                    "no heading says {heading:?}; the page has {}",
                    listed(&found["headings"])
                )),
            })
        })
        .await
    }

    /// Ticks the checkbox whose `<label>` says `label`, unless it is ticked
    /// already; waits until the page shows it.
    pub async fn check(&self, label: &str) -> anyhow::Result<()> {
        let (element, kind) = self.find_field(label).await?;
        if kind != "checkbox" {
            return Err(self
                .failure(format!("the field {label:?} is {kind:?}, not a checkbox"))
                .await);
        }
        let checked = self
            .script("reading a checkbox", CHECKED, vec![json!(element)])
            .await?;
        if checked != true {
            self.script("scrolling to a checkbox", SCROLL_TO_MIDDLE, vec![json!(element)])
                .await?;
            self.command(&format!("ticking {label:?}"), element.click())
                .await?;
        }
        self.poll(async || {
            let checked = self
                .script("reading a checkbox", CHECKED, vec![json!(element)])
                .await?;
            Ok(if checked == true {
                Ok(())
            } else {
                Err(format!("the checkbox {label:?} stays unticked"))
            })
        })
        .await
    }

    /// Scrolls the innermost element that shows `text` to the middle of
    /// the window, for a screenshot of it; waits until the page shows it.
    pub async fn scroll_to(&self, text: &str) -> anyhow::Result<()> {
        self.wait_for_text(text).await?;
        self.script("scrolling to a text", SCROLL_TO_TEXT, vec![json!(text)])
            .await
            .map(drop)
    }

    /// Waits until the page's address contains `part`, and answers the
    /// address.
    pub async fn wait_for_url(&self, part: &str) -> anyhow::Result<String> {
        self.poll(async || {
            let url = self.current_url().await?;
            Ok(if url.contains(part) {
                Ok(url)
            } else {
                Err(format!("the address {url} does not contain {part:?}"))
            })
        })
        .await
    }

    /// Marks the document the browser shows, so that
    /// [`is_marked`](Browser::is_marked) can tell later whether it is still
    /// the same one: that the page changed without being loaded again.
    pub async fn mark_page(&self) -> anyhow::Result<()> {
        self.script("marking the page", "window.lineupTestMark = true;", vec![])
            .await
            .map(drop)
    }

    /// Whether the document shown is the one [`mark_page`](Browser::mark_page)
    /// marked: it was not loaded again since.
    pub async fn is_marked(&self) -> anyhow::Result<bool> {
        let marked = self
            .script(
                "reading the page's mark",
                "return window.lineupTestMark === true;",
                vec![],
            )
            .await?;
        Ok(marked == true)
    }

    /// Saves a screenshot of the window as `target/e2e/<name>.png` in the
    /// workspace, and answers its path.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let path = e2e_output_dir()?.join(format!("{name}.png"));
        self.save_screenshot(&path).await?;
        Ok(path)
    }

    /// What the page wrote on its console since the last call, as `LEVEL
    /// message` lines.
    pub async fn console(&self) -> anyhow::Result<Vec<String>> {
        let answer = self
            .session_post(
                "se/log",
                json!({ "type": "browser" }),
                "asking for the console's log",
            )
            .await?;
        let entries = answer["value"].as_array().cloned().unwrap_or_default();
        Ok(entries
            .iter()
            .map(|entry| {
                format!(
                    "{} {}",
                    entry["level"].as_str().unwrap_or("?"),
                    entry["message"].as_str().unwrap_or_default()
                )
            })
            .collect())
    }

    /// Runs `script` in every page the browser opens from now on, before
    /// the page's own scripts (Chromium's
    /// `Page.addScriptToEvaluateOnNewDocument`): to watch a page from its
    /// very start.
    pub async fn run_before_every_page(&self, script: &str) -> anyhow::Result<()> {
        let answer = self
            .session_post(
                "goog/cdp/execute",
                json!({ "cmd": "Page.addScriptToEvaluateOnNewDocument", "params": { "source": script } }),
                "adding a script to every page",
            )
            .await?;
        match answer["value"].get("error") {
            Some(error) => anyhow::bail!("chromedriver refused to add a script to every page: {error}"),
            None => Ok(()),
        }
    }

    /// Posts `body` to chromedriver's `path` in this session, for what
    /// fantoccini does not do, and answers chromedriver's JSON.
    async fn session_post(&self, path: &str, body: Value, doing: &str) -> anyhow::Result<Value> {
        let client = reqwest::Client::builder()
            .timeout(COMMAND_TIMEOUT)
            .build()
            .context("making an HTTP client")?;
        client
            .post(format!("{}/session/{}/{path}", self.driver.url, self.session_id))
            .json(&body)
            .send()
            .await
            .with_context(|| format!("{doing}: posting to {}", self.driver.name))?
            .json()
            .await
            .with_context(|| format!("{doing}: reading {}'s answer", self.driver.name))
    }

    /// Ends the session, which closes Chromium, and stops chromedriver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.closed = true;
        let closed = tokio::time::timeout(COMMAND_TIMEOUT, self.client.clone().close()).await;
        stop_driver(&mut self.driver.child);
        match closed {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(anyhow::anyhow!("closing the browser: {error}")),
            Err(_) => anyhow::bail!("closing the browser took more than {COMMAND_TIMEOUT:?}"),
        }
    }

    /// Asks `look` every [`POLL_INTERVAL`] whether the page shows what it
    /// looks for, until it does (`Ok(found)`) or the time is up: then the
    /// last answer of what the page shows instead (`Err(instead)`) is the
    /// failure's message.
    async fn poll<T>(
        &self,
        mut look: impl AsyncFnMut() -> anyhow::Result<Result<T, String>>,
    ) -> anyhow::Result<T> {
        let deadline = Instant::now() + self.timeout;
        loop {
            match look().await? {
                Ok(found) => return Ok(found),
                Err(instead) if Instant::now() >= deadline => {
                    return Err(self.failure(format!("after {:?}, {instead}", self.timeout)).await)
                }
                Err(_) => tokio::time::sleep(POLL_INTERVAL).await,
            }
        }
    }

    /// The shown button or link with `label`, and whether it is disabled;
    /// or what buttons and links the page has instead.
    async fn find_clickable(&self, label: &str) -> anyhow::Result<Result<(Element, bool), String>> {
        let found = self
            .script("looking for a button", FIND_CLICKABLE, vec![json!(label)])
            .await?;
        Ok(match self.element_in(&found) {
            Some(element) => Ok((element, found["disabled"] == true)),
            None => Err(format!(
                "no button or link shows {label:?}; the page has {}",
                listed(&found["seen"])
            )),
        })
    }

    /// Finds the form field `field`, and its type, waiting until the page
    /// shows it.
    async fn find_field(&self, field: &str) -> anyhow::Result<(Element, String)> {
        self.poll(async || {
            let found = self
                .script("looking for a field", FIND_FIELD, vec![json!(field)])
                .await?;
            Ok(match self.element_in(&found) {
                Some(element) => Ok((element, found["type"].as_str().unwrap_or_default().to_owned())),
                None => Err(format!(
                    "no field is labelled or named {field:?}; the page has {}",
                    listed(&found["seen"])
                )),
            })
        })
        .await
    }

    /// Chooses the option that shows `option` in the `<select>` `element`.
    async fn choose(&self, field: &str, element: Element, option: &str) -> anyhow::Result<()> {
        self.poll(async || {
            let chosen = self
                .script(
                    "choosing an option",
                    CHOOSE_OPTION,
                    vec![json!(element), json!(option)],
                )
                .await?;
            Ok(if chosen["chosen"] == true {
                Ok(())
            } else {
                Err(format!(
                    "{field:?} has no option {option:?}; it has {}",
                    listed(&chosen["options"])
                ))
            })
        })
        .await
    }

    /// The element a finder script answered, if it found one.
    fn element_in(&self, found: &Value) -> Option<Element> {
        // A WebDriver element reference: {"element-6066-…": "<id>"}.
        let id = found["element"].as_object()?.values().next()?.as_str()?;
        Some(Element::from_element_id(
            self.client.clone(),
            id.to_owned().into(),
        ))
    }

    /// Runs `script` in the page with `args` and answers what it returns.
    async fn script(&self, doing: &str, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
        self.command(doing, self.client.execute(script, args)).await
    }

    /// Runs one WebDriver command, within [`COMMAND_TIMEOUT`].
    async fn command<T>(
        &self,
        doing: &str,
        command: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> anyhow::Result<T> {
        match self.within(command).await {
            Ok(answer) => Ok(answer),
            Err(error) => Err(self.failure(format!("{doing}: {error}")).await),
        }
    }

    /// `command`'s answer, or an error when it takes longer than
    /// [`COMMAND_TIMEOUT`].
    async fn within<T>(
        &self,
        command: impl std::future::Future<Output = Result<T, fantoccini::error::CmdError>>,
    ) -> anyhow::Result<T> {
        match tokio::time::timeout(COMMAND_TIMEOUT, command).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(error)) => Err(anyhow::anyhow!("{error}")),
            Err(_) => anyhow::bail!("{} did not answer within {COMMAND_TIMEOUT:?}", self.driver.name),
        }
    }

    /// An error that says `what` went wrong, where, what the console said,
    /// and where a screenshot of the page is.
    async fn failure(&self, what: String) -> anyhow::Error {
        let mut message = what;
        if let Ok(Ok(url)) = tokio::time::timeout(Duration::from_secs(5), self.client.current_url()).await {
            message.push_str(&format!("\nat: {url}"));
        }
        if let Ok(Ok(console)) = tokio::time::timeout(Duration::from_secs(5), self.console()).await {
            if !console.is_empty() {
                message.push_str(&format!("\nconsole:\n  {}", console.join("\n  ")));
            }
        }
        let test = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '_' && c != '-', "_");
        let screenshot = e2e_output_dir().map(|dir| dir.join("failures").join(format!("{test}.png")));
        if let Ok(path) = screenshot {
            if tokio::time::timeout(Duration::from_secs(10), self.save_screenshot(&path))
                .await
                .is_ok_and(|saved| saved.is_ok())
            {
                message.push_str(&format!("\nscreenshot: {}", path.display()));
            }
        }
        let driver_output = self.driver.output.text();
        if !driver_output.trim().is_empty() && message.contains(self.driver.name) {
            message.push_str(&format!("\n{}'s output:\n{driver_output}", self.driver.name));
        }
        anyhow::anyhow!(message)
    }

    async fn save_screenshot(&self, path: &Path) -> anyhow::Result<()> {
        let png = self
            .within(self.client.screenshot())
            .await
            .context("taking a screenshot")?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.closed {
            // Drop cannot wait for the async client: end the session in a
            // plain request, which makes chromedriver close Chromium.
            if let Err(error) = delete_session(&self.driver.url, &self.session_id) {
                eprintln!("ending the browser's session: {error:#}");
            }
        }
        stop_driver(&mut self.driver.child);
    }
}

/// The program that the environment variable `variable` names, or `default`;
/// an error that says how to install it when it is not there.
fn program(variable: &str, default: &str) -> anyhow::Result<PathBuf> {
    let path = std::env::var_os(variable).map_or_else(|| PathBuf::from(default), PathBuf::from);
    anyhow::ensure!(
        path.is_file(),
        "no {} here: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), \
         or name another in {variable}",
        path.display()
    );
    Ok(path)
}

/// Starts chromedriver on a port it picks, in a process group of its own
/// (Chromium joins it), and answers it, its output and its port.
///
/// With `--port=0` chromedriver takes a free IPv6 port and then wants the
/// same number on IPv4, which another process may hold: it exits then, and
/// is started again.
fn start_driver(chromedriver: &Path) -> anyhow::Result<(Child, ChildOutput, u16)> {
    const ATTEMPTS: usize = 5;
    for attempt in 1.. {
        match start_driver_once(chromedriver) {
            Err(error) if attempt < ATTEMPTS && format!("{error:#}").contains("port not available") => {
                continue
            }
            started => return started,
        }
    }
    unreachable!("the last attempt returns")
}

fn start_driver_once(chromedriver: &Path) -> anyhow::Result<(Child, ChildOutput, u16)> {
    use std::os::unix::process::CommandExt;

    let mut driver = Command::new(chromedriver)
        .arg("--port=0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", chromedriver.display()))?;
    let output = ChildOutput::collect(driver.stderr.take());
    let stdout = driver.stdout.take().context("chromedriver has no stdout")?;
    let (lines_tx, lines_rx) = mpsc::channel();
    let stdout_output = output.clone();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            stdout_output.append(format!("{line}\n").as_bytes());
            // Nobody waits for lines once the port is known: keep draining.
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + DRIVER_START_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = match lines_rx.recv_timeout(left) {
            Ok(line) => line,
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                stop_driver(&mut driver);
                anyhow::bail!(
                    "chromedriver ended before it started; its output:\n{}",
                    output.text_after_exit()
                );
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                stop_driver(&mut driver);
                anyhow::bail!(
                    "chromedriver did not say it started within {DRIVER_START_TIMEOUT:?}; its output:\n{}",
                    output.text_after_exit()
                );
            }
        };
        // "ChromeDriver was started successfully on port 34317."
        if let Some(port) = line
            .split_once("started successfully on port ")
            .and_then(|(_, port)| port.trim_end_matches('.').trim().parse().ok())
        {
            return Ok((driver, output, port));
        }
    }
}

/// Stops chromedriver and whatever it started (its process group: Chromium
/// and its helpers), with SIGTERM and then SIGKILL.
pub(crate) fn stop_driver(driver: &mut Child) {
    use rustix::process::{kill_process_group, Pid, Signal};

    if matches!(driver.try_wait(), Ok(Some(_))) {
        return;
    }
    // The group this harness made for its own chromedriver: its PID.
    let group = Pid::from_child(driver);
    let _ = kill_process_group(group, Signal::TERM);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if matches!(driver.try_wait(), Ok(Some(_))) {
            // Chromium's helpers may outlive chromedriver by a moment.
            let _ = kill_process_group(group, Signal::KILL);
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = kill_process_group(group, Signal::KILL);
    let _ = driver.wait();
}

/// Ends a WebDriver session with a blocking `DELETE /session/<id>`.
fn delete_session(driver_url: &str, session_id: &str) -> anyhow::Result<()> {
    let address = driver_url.trim_start_matches("http://");
    let mut stream =
        std::net::TcpStream::connect(address).with_context(|| format!("connecting to {address}"))?;
    stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
    stream.set_write_timeout(Some(COMMAND_TIMEOUT))?;
    write!(
        stream,
        "DELETE /session/{session_id} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver keeps the connection open: read up to the end of the
    // status line, which it sends once the browser is closed.
    let mut answer = Vec::new();
    let mut buffer = [0; 1024];
    while !answer.contains(&b'\n') {
        let read = stream.read(&mut buffer)?;
        anyhow::ensure!(read > 0, "chromedriver closed the connection without an answer");
        answer.extend_from_slice(&buffer[..read]);
    }
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.lines().next().unwrap_or_default();
    anyhow::ensure!(
        status.starts_with("HTTP/1.1 200"),
        "chromedriver answered {status}"
    );
    Ok(())
}

/// `text`, cut to its first [`SHOWN_TEXT`] characters.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_TEXT) {
        Some((end, _)) => format!(
            "{}\n… ({} characters more)",
            &text[..end],
            text[end..].chars().count()
        ),
        None => text.to_owned(),
    }
}

/// A JSON list of names, quoted, for an error message.
fn listed(names: &Value) -> String {
    match names.as_array() {
        Some(names) if !names.is_empty() => names
            .iter()
            .map(|name| format!("{:?}", name.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join(", "),
        _ => "none".to_owned(),
    }
}

/// The page's text.
const BODY_TEXT: &str = "return document.body ? document.body.innerText : '';";

/// Functions the finder scripts share: text as a person reads it, and
/// whether an element is shown.
macro_rules! prelude {
    () => {
        r#"
const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
const shown = (e) => !!(e.offsetWidth || e.offsetHeight || e.getClientRects().length)
    && getComputedStyle(e).visibility !== 'hidden';
"#
    };
}

/// Finds the shown button or link with a label (`arguments[0]`):
/// `{ element, disabled, seen }`.
const FIND_CLICKABLE: &str = concat!(
    prelude!(),
    r#"
const label = norm(arguments[0]);
const candidates = [...document.querySelectorAll(
    'button, a, [role=button], input[type=submit], input[type=button]')].filter(shown);
const text = (e) => norm(e.tagName === 'INPUT' ? e.value : e.innerText);
const found = candidates.find((e) => text(e) === label)
    || candidates.find((e) => norm(e.getAttribute('aria-label')) === label)
    || candidates.find((e) => norm(e.getAttribute('title')) === label)
    || ((containing) => containing.length === 1 ? containing[0] : null)(
        candidates.filter((e) => text(e).includes(label)));
return {
    element: found || null,
    disabled: !!found && (found.disabled === true || found.getAttribute('aria-disabled') === 'true'),
    seen: candidates.map((e) => text(e) || norm(e.getAttribute('aria-label'))).filter((t) => t),
};
"#
);

/// Finds the shown form field with a label, name, aria-label, placeholder
/// or id (`arguments[0]`): `{ element, type, seen }`.
const FIND_FIELD: &str = concat!(
    prelude!(),
    r#"
const key = norm(arguments[0]);
const fields = 'input:not([type=hidden]), textarea, select';
// A label's own words, without those of the fields inside it.
const words = (label) => {
    const copy = label.cloneNode(true);
    copy.querySelectorAll(fields + ', option').forEach((e) => e.remove());
    return norm(copy.textContent).replace(/\s*[:*]$/, '');
};
const labels = [...document.querySelectorAll('label')];
const labelled = labels
    .filter((l) => words(l) === key)
    .map((l) => l.control || l.querySelector(fields))
    .filter((e) => e && shown(e));
const all = [...document.querySelectorAll(fields)].filter(shown);
const found = labelled[0]
    || all.find((e) => e.getAttribute('name') === key)
    || all.find((e) => norm(e.getAttribute('aria-label')) === key)
    || all.find((e) => norm(e.getAttribute('placeholder')) === key)
    || all.find((e) => e.id === key);
const type = (e) => e.tagName === 'INPUT' ? (e.getAttribute('type') || 'text').toLowerCase() : e.tagName.toLowerCase();
return {
    element: found || null,
    type: found ? type(found) : null,
    seen: labels.map(words).filter((w) => w)
        .concat(all.map((e) => e.getAttribute('name')).filter((n) => n).map((n) => 'name=' + n)),
};
"#
);

/// Sets the value of a field (`arguments[0]`) to `arguments[1]` as the
/// browser does when a person picks it, with its input and change events.
const SET_VALUE: &str = r#"
const [field, value] = arguments;
const prototype = field instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
    : field instanceof HTMLSelectElement ? HTMLSelectElement.prototype
    : HTMLInputElement.prototype;
Object.getOwnPropertyDescriptor(prototype, 'value').set.call(field, value);
field.dispatchEvent(new Event('input', { bubbles: true }));
field.dispatchEvent(new Event('change', { bubbles: true }));
"#;

/// A field's (`arguments[0]`) value.
const FIELD_VALUE: &str = "return arguments[0].value;";

/// Chooses the option of a `<select>` (`arguments[0]`) that shows
/// `arguments[1]`: `{ chosen, options }`.
const CHOOSE_OPTION: &str = concat!(
    prelude!(),
    r#"
const [select, wanted] = arguments;
const options = [...select.options];
const option = options.find((o) => norm(o.text) === norm(wanted));
if (!option) {
    return { chosen: false, options: options.map((o) => norm(o.text)) };
}
select.value = option.value;
select.dispatchEvent(new Event('input', { bubbles: true }));
select.dispatchEvent(new Event('change', { bubbles: true }));
return { chosen: true, options: [] };
"#
);

/// The text of the first element matching a CSS selector (`arguments[0]`),
/// or null.
const TEXT_OF: &str = r#"
const element = document.querySelector(arguments[0]);
return element ? element.innerText : null;
"#;

/// The texts of every element matching a CSS selector (`arguments[0]`).
const TEXTS_OF: &str = r#"
return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText);
"#;

/// The text of the first element matching a CSS selector (`arguments[1]`)
/// in the part of the page a heading (`arguments[0]`) heads: `{ text,
/// headed, headings }`.
const TEXT_UNDER_HEADING: &str = concat!(
    prelude!(),
    r#"
const [wanted, selector] = arguments;
const headings = [...document.querySelectorAll('h1, h2, h3')].filter(shown);
const heading = headings.find((h) => norm(h.innerText) === norm(wanted));
if (!heading) {
    return { text: null, headed: false, headings: headings.map((h) => norm(h.innerText)) };
}
const part = heading.closest('section') || heading.parentElement;
const element = part.querySelector(selector);
return { text: element ? element.innerText : null, headed: true, headings: [] };
"#
);

/// Whether a checkbox (`arguments[0]`) is ticked.
const CHECKED: &str = "return arguments[0].checked === true;";

/// Scrolls an element (`arguments[0]`) to the middle of the window.
const SCROLL_TO_MIDDLE: &str = "arguments[0].scrollIntoView({ block: 'center', inline: 'center' });";

/// Scrolls the innermost element whose text contains `arguments[0]` to the
/// middle of the window.
const SCROLL_TO_TEXT: &str = r#"
const wanted = arguments[0];
let element = document.body;
for (let deeper = element; deeper; ) {
    element = deeper;
    deeper = [...element.children].find((child) => (child.innerText || '').includes(wanted));
}
element.scrollIntoView({ block: 'center', inline: 'center' });
"#;
