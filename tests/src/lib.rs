//! The harness of Lineup's end-to-end tests: real `lineup-node` processes
//! ([`NodeProcess`]), their GraphQL API ([`graphql`]), and headless Chromium
//! driven over WebDriver ([`Browser`]), with helpers that read like what a
//! person does on the page.
//!
//! ```no_run
//! use lineup_tests::{built_ui, Browser, NodeProcess};
//!
//! # async fn example() -> anyhow::Result<()> {
//! let node = NodeProcess::builder().demo().ui_dir(built_ui()?).start()?;
//! let browser = Browser::start().await?;
//! browser.open(&node.url("/")).await?;
//! browser.wait_for_text("Festivals").await?;
//! browser.screenshot("start-page").await?;
//! browser.close().await
//! # }
//! ```
//!
//! Every wait has a time limit, and a failure says what the page, the node
//! or the driver showed instead.

pub mod browser;
mod child_output;
pub mod desktop_app;
pub mod graphql;
pub mod node_process;
pub mod steps;
pub mod workspace;

pub use browser::{Browser, Window};
pub use desktop_app::DesktopApp;
pub use node_process::{NodeProcess, NodeProcessBuilder};
pub use workspace::{built_ui, workspace_root};
