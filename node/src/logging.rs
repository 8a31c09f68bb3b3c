//! Where a node's log goes: stderr, warnings and worse unless `RUST_LOG`
//! (e.g. `lineup_node=debug`) asks for more.

/// Sends the process's log to stderr; call it once, at start.
pub fn to_stderr() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
}
