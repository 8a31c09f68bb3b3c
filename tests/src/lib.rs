//! The harness of Lineup's end-to-end tests: real `lineup-node` processes
//! ([`NodeProcess`]) and their GraphQL API ([`graphql`]).
//!
//! ```no_run
//! use lineup_tests::NodeProcess;
//!
//! # async fn example() -> anyhow::Result<()> {
//! let node = NodeProcess::builder().demo().start()?;
//! let festivals = node.graphql("{ myFestivals { role } }").await?;
//! assert_eq!(festivals["myFestivals"][0]["role"], "DEMO");
//! # Ok(())
//! # }
//! ```
//!
//! Every wait has a time limit, and a failure says what the node showed
//! instead.

mod child_output;
pub mod graphql;
pub mod node_process;
pub mod workspace;

pub use node_process::{NodeProcess, NodeProcessBuilder};
pub use workspace::{built_ui, workspace_root};
