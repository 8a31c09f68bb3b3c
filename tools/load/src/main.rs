//! `lineup-load`: drives any aquadoggo-compatible GraphQL endpoint and prints
//! figures. Entries are signed before the clock starts; every answer is
//! checked, so a refused publish fails the run instead of counting as done.
//!
//! ```text
//! lineup-load --endpoint http://127.0.0.1:2020/graphql all
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use lineup_core::{
    DocumentViewId, EncodedEntry, EncodedOperation, Entry, Hash, LogId, Operation, OperationId, PrivateKey,
    SchemaId, Value,
};
use serde_json::{json, Value as Json};

#[derive(Parser)]
#[command(about = "Load generator for aquadoggo-compatible GraphQL endpoints")]
struct Cli {
    /// The GraphQL endpoint.
    #[arg(long, default_value = "http://127.0.0.1:2020/graphql")]
    endpoint: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Publishes CREATEs of new documents as fast as the node takes them.
    Publish {
        #[arg(long, default_value_t = 2000)]
        documents: usize,
        #[arg(long, default_value_t = 1)]
        authors: usize,
        /// Concurrent clients; an author's entries stay with one client (a
        /// log must grow in order), so at most one client per author works.
        #[arg(long, default_value_t = 1)]
        clients: usize,
    },
    /// Many connections read a page with a nested relation while one client
    /// keeps publishing.
    Read {
        #[arg(long, default_value_t = 2000)]
        documents: usize,
        #[arg(long, default_value_t = 200)]
        connections: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The time from a publish to the subscription event it causes.
    Latency {
        #[arg(long, default_value_t = 500)]
        publishes: usize,
    },
    /// The figures the GraphQL issue asks for: publishing from 1 and 20
    /// authors with 1 and 8 clients, the 2,000-document query, the read load.
    All,
}

/// Someone who signs entries, keeping the hashes of each log.
struct Author {
    key: PrivateKey,
    logs: Vec<Vec<Hash>>,
}

type Signed = (EncodedEntry, EncodedOperation);

impl Author {
    fn new() -> Self {
        Self {
            key: PrivateKey::generate(&mut rand::rngs::OsRng),
            logs: Vec::new(),
        }
    }

    /// Signs `operation` as the next entry of `log` (a new log if it is the next number).
    fn sign(&mut self, log: usize, operation: &Operation) -> anyhow::Result<Signed> {
        if log == self.logs.len() {
            self.logs.push(Vec::new());
        }
        let payload = operation.encode();
        let (_, entry) = Entry::sign_after(&self.key, LogId(log as u64), &self.logs[log], &payload)?;
        self.logs[log].push(entry.hash());
        Ok((entry, payload))
    }

    fn create(&mut self, schema: &SchemaId, fields: BTreeMap<String, Value>) -> anyhow::Result<Signed> {
        let log = self.logs.len();
        self.sign(log, &Operation::create(schema.clone(), fields))
    }
}

/// Whether an answer carries `"errors"` (at its top level or nested).
fn has_errors(answer: &[u8]) -> bool {
    answer.windows(8).any(|window| window == b"\"errors\"")
}

fn id_of(signed: &Signed) -> DocumentViewId {
    DocumentViewId::from(OperationId(signed.0.hash()))
}

#[derive(Clone)]
struct Endpoint {
    client: reqwest::Client,
    url: String,
}

impl Endpoint {
    async fn graphql(&self, query: &str, variables: Json) -> anyhow::Result<Json> {
        let answer: Json = self
            .client
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?
            .json()
            .await?;
        if let Some(errors) = answer.get("errors") {
            bail!("the node answered with errors: {errors}");
        }
        Ok(answer["data"].clone())
    }

    /// Posts a request already encoded, as a browser repeating one query
    /// would; only checks that the answer has no errors, so that the load
    /// tool, which shares the machine with the node, spends little on it.
    async fn ask(&self, body: &'static str) -> anyhow::Result<()> {
        let answer = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        if !answer.starts_with(b"{\"data\"") || has_errors(&answer) {
            bail!(
                "the node answered with errors: {}",
                String::from_utf8_lossy(&answer)
            );
        }
        Ok(())
    }

    async fn publish(&self, (entry, operation): &Signed) -> anyhow::Result<()> {
        self.graphql(
            "mutation P($entry: EncodedEntry!, $operation: EncodedOperation!) { publish(entry: $entry, operation: $operation) { seqNum } }",
            json!({"entry": hex::encode(entry.as_bytes()), "operation": hex::encode(operation.as_bytes())}),
        )
        .await
        .map(drop)
    }

    /// Defines the stage schema the loads write (fields of [`stage`]).
    async fn define_stage(&self, author: &mut Author) -> anyhow::Result<SchemaId> {
        self.define(
            author,
            "load_stage",
            &[("name", "str".into()), ("capacity", "int".into())],
        )
        .await
    }

    /// Defines a schema and waits until the node serves it.
    async fn define(
        &self,
        author: &mut Author,
        name: &str,
        fields: &[(&str, String)],
    ) -> anyhow::Result<SchemaId> {
        let mut views = Vec::new();
        for (field, kind) in fields {
            let signed = author.create(
                &SchemaId::SCHEMA_FIELD_DEFINITION_V1,
                BTreeMap::from([
                    ("name".into(), Value::Str((*field).into())),
                    ("type".into(), Value::Str(kind.clone())),
                ]),
            )?;
            self.publish(&signed).await?;
            views.push(id_of(&signed));
        }
        let signed = author.create(
            &SchemaId::SCHEMA_DEFINITION_V1,
            BTreeMap::from([
                ("name".into(), Value::Str(name.into())),
                (
                    "description".into(),
                    Value::Str(format!("{name}, made by lineup-load")),
                ),
                ("fields".into(), Value::PinnedRelationList(views)),
            ]),
        )?;
        self.publish(&signed).await?;
        let schema = SchemaId::application(name, id_of(&signed))?;
        // aquadoggo builds schemas in the background: wait until it can be queried.
        for _ in 0..400 {
            if self
                .graphql(
                    &format!("{{ all_{schema}(first: 1) {{ totalCount }} }}"),
                    json!({}),
                )
                .await
                .is_ok()
            {
                return Ok(schema);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        bail!("the node never served schema {schema}")
    }
}

fn stage(index: usize) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("name".into(), Value::Str(format!("Stage {index}"))),
        ("capacity".into(), Value::Int((index % 977) as i64)),
    ])
}

/// Publishes `documents` CREATEs from `authors` authors over `clients` clients.
async fn publish(
    endpoint: &Endpoint,
    documents: usize,
    authors: usize,
    clients: usize,
) -> anyhow::Result<(f64, SchemaId)> {
    let schema = endpoint.define_stage(&mut Author::new()).await?;
    let mut signers: Vec<Author> = (0..authors).map(|_| Author::new()).collect();
    let working_clients = clients.min(authors).max(1);
    let mut queues: Vec<Vec<Signed>> = vec![Vec::new(); working_clients];
    for index in 0..documents {
        let author = index % authors;
        queues[author % working_clients].push(signers[author].create(&schema, stage(index))?);
    }
    let start = Instant::now();
    let tasks: Vec<_> = queues
        .into_iter()
        .map(|queue| {
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                for signed in &queue {
                    endpoint.publish(signed).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok((documents as f64 / start.elapsed().as_secs_f64(), schema))
}

/// The median time of the query of `first` documents; with `fresh`, each
/// after a publish of one more document, so that no answer kept from before
/// serves it.
async fn query_time(
    endpoint: &Endpoint,
    schema: &SchemaId,
    first: usize,
    mut fresh: Option<&mut Author>,
) -> anyhow::Result<Duration> {
    let query = format!("{{ all_{schema}(first: {first}) {{ totalCount documents {{ meta {{ documentId }} fields {{ name capacity }} }} }} }}");
    let mut times = Vec::new();
    for index in 0..11 {
        if let Some(author) = fresh.as_deref_mut() {
            endpoint.publish(&author.create(schema, stage(index))?).await?;
        }
        let start = Instant::now();
        let data = endpoint.graphql(&query, json!({})).await?;
        times.push(start.elapsed());
        let listed = data[format!("all_{schema}")]["documents"]
            .as_array()
            .map_or(0, Vec::len);
        if listed != first {
            bail!("listed {listed} documents, not {first}");
        }
    }
    times.sort();
    Ok(times[times.len() / 2])
}

struct ReadFigures {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    publishes_per_second: f64,
}

async fn read(
    endpoint: &Endpoint,
    documents: usize,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<ReadFigures> {
    let mut setup = Author::new();
    let stage_schema = endpoint.define_stage(&mut setup).await?;
    let slot_schema = endpoint
        .define(
            &mut setup,
            "load_slot",
            &[
                ("title", "str".into()),
                ("position", "int".into()),
                ("stage", format!("relation({stage_schema})")),
            ],
        )
        .await?;
    let mut stages = Vec::new();
    for index in 0..20 {
        let signed = setup.create(&stage_schema, stage(index))?;
        endpoint.publish(&signed).await?;
        stages.push(id_of(&signed));
    }
    let slot = |author: &mut Author, index: usize| {
        let stage = stages[index % stages.len()].operations()[0];
        author.create(
            &slot_schema,
            BTreeMap::from([
                ("title".into(), Value::Str(format!("Slot {index}"))),
                ("position".into(), Value::Int(index as i64)),
                ("stage".into(), Value::Relation(lineup_core::DocumentId(stage.0))),
            ]),
        )
    };
    let mut writer = Author::new();
    for index in 0..documents {
        endpoint.publish(&slot(&mut writer, index)?).await?;
    }
    let more: Vec<Signed> = (documents..documents + 100_000)
        .map(|index| slot(&mut writer, index))
        .collect::<anyhow::Result<_>>()?;

    let query = format!(
        "{{ all_{slot_schema}(first: 50) {{ totalCount documents {{ cursor fields {{ title position stage {{ fields {{ name capacity }} }} }} }} }} }}"
    );
    let body: &'static str = Box::leak(json!({ "query": query }).to_string().into_boxed_str());
    let stop = Arc::new(AtomicBool::new(false));
    let published = Arc::new(AtomicUsize::new(0));
    let publisher = {
        let (endpoint, stop, published) = (endpoint.clone(), Arc::clone(&stop), Arc::clone(&published));
        tokio::spawn(async move {
            for signed in &more {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                endpoint.publish(signed).await?;
                published.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        })
    };
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let readers: Vec<_> = (0..connections)
        .map(|_| {
            let endpoint = endpoint.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    endpoint.ask(body).await?;
                    latencies.push(sent.elapsed());
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for reader in readers {
        latencies.extend(reader.await??);
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    publisher.await??;
    latencies.sort();
    let percentile = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    Ok(ReadFigures {
        requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        publishes_per_second: published.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
    })
}

/// Publishes updates one after another while subscribed to their schema;
/// returns the median and 99th percentile from sending a publish to
/// receiving its event.
async fn latency(endpoint: &Endpoint, publishes: usize) -> anyhow::Result<(Duration, Duration)> {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let mut author = Author::new();
    let schema = endpoint.define_stage(&mut author).await?;
    let mut request = endpoint.url.replacen("http", "ws", 1).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    socket
        .send(Message::text(r#"{"type":"connection_init"}"#))
        .await?;
    socket.next().await.context("no connection_ack")??;
    let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": format!("subscription {{ all_{schema} {{ meta {{ viewId }} }} }}")}});
    socket.send(Message::text(subscribe.to_string())).await?;
    // The subscription starts some time after the message: wait for a first event.
    let log = author.logs.len();
    let mut previous = author.sign(log, &Operation::create(schema.clone(), stage(0)))?;
    endpoint.publish(&previous).await?;
    let mut started = false;
    for _ in 0..50 {
        if let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(100), socket.next()).await {
            started = message?.to_text()?.contains("\"next\"");
            if started {
                break;
            }
        }
        previous = author.sign(
            log,
            &Operation::update(schema.clone(), id_of(&previous), stage(1)),
        )?;
        endpoint.publish(&previous).await?;
    }
    if !started {
        bail!("the subscription never started");
    }
    // Drain what the probing left.
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(200), socket.next()).await {}
    let mut times = Vec::with_capacity(publishes);
    for index in 0..publishes {
        let next = author.sign(
            log,
            &Operation::update(schema.clone(), id_of(&previous), stage(index)),
        )?;
        let view_id = id_of(&next).to_string();
        let sent = Instant::now();
        endpoint.publish(&next).await?;
        loop {
            let message = socket.next().await.context("the subscription ended")??;
            if message.to_text()?.contains(&view_id) {
                break;
            }
        }
        times.push(sent.elapsed());
        previous = next;
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() * 99 / 100]))
}

fn print_read(figures: &ReadFigures, connections: usize) {
    println!(
        "read all_<schema>(first: 50) + relation, {connections} connections: {:.0} requests/s, p50 {:.1} ms, p99 {:.1} ms (meanwhile {:.0} publishes/s)",
        figures.requests_per_second,
        figures.p50.as_secs_f64() * 1e3,
        figures.p99.as_secs_f64() * 1e3,
        figures.publishes_per_second
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let endpoint = Endpoint {
        client: reqwest::Client::builder().pool_max_idle_per_host(512).build()?,
        url: cli.endpoint,
    };
    match cli.command {
        Command::Publish {
            documents,
            authors,
            clients,
        } => {
            let (rate, _) = publish(&endpoint, documents, authors, clients).await?;
            println!("publish {documents} CREATEs, {authors} authors, {clients} clients: {rate:.0}/s");
        }
        Command::Latency { publishes } => {
            let (p50, p99) = latency(&endpoint, publishes).await?;
            println!(
                "publish to subscription event, {publishes} publishes: p50 {:.1} ms, p99 {:.1} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
        Command::Read {
            documents,
            connections,
            seconds,
        } => {
            print_read(
                &read(&endpoint, documents, connections, seconds).await?,
                connections,
            );
        }
        Command::All => {
            for (authors, clients) in [(1, 1), (20, 1), (20, 8)] {
                let (rate, schema) = publish(&endpoint, 2000, authors, clients).await?;
                println!("publish 2,000 CREATEs, {authors:>2} author(s), {clients} client(s): {rate:>7.0}/s");
                if (authors, clients) == (20, 8) {
                    let fresh = query_time(&endpoint, &schema, 2000, Some(&mut Author::new())).await?;
                    let kept = query_time(&endpoint, &schema, 2000, None).await?;
                    println!(
                        "all_<schema>(first: 2000), median of 11: {:.1} ms after a publish each, {:.1} ms repeated",
                        fresh.as_secs_f64() * 1e3,
                        kept.as_secs_f64() * 1e3
                    );
                }
            }
            print_read(&read(&endpoint, 2000, 200, 10).await?, 200);
            let (p50, p99) = latency(&endpoint, 500).await?;
            println!(
                "publish to subscription event: p50 {:.1} ms, p99 {:.1} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            );
        }
    }
    Ok(())
}
