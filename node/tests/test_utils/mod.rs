//! Fixtures shared by the node's integration tests: authors that sign chains
//! of entries, a small festival schema, and a node's API served in process.

#![allow(dead_code)] // each test binary uses part of it

use std::collections::BTreeMap;

use lineup_core::{
    DocumentViewId, EncodedEntry, EncodedOperation, Entry, Hash, LogId, Operation, OperationId, PrivateKey,
    SchemaId, Value,
};

/// An entry and its operation, as they travel.
pub(crate) type Signed = (EncodedEntry, EncodedOperation);

/// Someone who writes entries: a key and the hashes of each log's entries.
pub(crate) struct Author {
    pub(crate) key: PrivateKey,
    logs: Vec<Vec<Hash>>,
}

impl Author {
    pub(crate) fn new(seed: u8) -> Self {
        Self {
            key: PrivateKey::from_bytes(&[seed; 32]),
            logs: Vec::new(),
        }
    }

    /// One of many authors: a key made from `index`.
    pub(crate) fn numbered(index: u64) -> Self {
        let mut seed = [0; 32];
        seed[..8].copy_from_slice(&index.to_be_bytes());
        seed[31] = 1;
        Self {
            key: PrivateKey::from_bytes(&seed),
            logs: Vec::new(),
        }
    }

    /// Signs `operation` as the next entry of log `log` (a new log when `log`
    /// is the number of logs so far).
    pub(crate) fn sign(&mut self, log: usize, operation: &Operation) -> Signed {
        if log == self.logs.len() {
            self.logs.push(Vec::new());
        }
        let payload = operation.encode();
        let (_, entry) = Entry::sign_after(&self.key, LogId(log as u64), &self.logs[log], &payload).unwrap();
        self.logs[log].push(entry.hash());
        (entry, payload)
    }

    /// The same key with the same logs so far, as if copied to a second
    /// device: what the two sign next forks the author's logs.
    pub(crate) fn copied(&self) -> Self {
        Self {
            key: PrivateKey::from_bytes(&self.key.to_bytes()),
            logs: self.logs.clone(),
        }
    }

    /// Signs an update of the document whose latest operation is `previous`,
    /// as the next entry of log `log`.
    pub(crate) fn update(
        &mut self,
        log: usize,
        schema: &SchemaId,
        previous: &Signed,
        fields: BTreeMap<String, Value>,
    ) -> Signed {
        let previous = DocumentViewId::from(OperationId(previous.0.hash()));
        self.sign(log, &Operation::update(schema.clone(), previous, fields))
    }

    /// A new log number for a new document.
    pub(crate) fn next_log(&self) -> usize {
        self.logs.len()
    }
}

fn text(value: &str) -> Value {
    Value::Str(value.to_owned())
}

/// Defines a schema with the given fields (name, type); returns its id and
/// the entries that define it.
pub(crate) fn define_schema(
    author: &mut Author,
    name: &str,
    fields: &[(&str, &str)],
) -> (SchemaId, Vec<Signed>) {
    let mut signed = Vec::new();
    let mut field_views = Vec::new();
    for (field, kind) in fields {
        let log = author.next_log();
        let entry = author.sign(
            log,
            &Operation::create(
                SchemaId::SCHEMA_FIELD_DEFINITION_V1,
                BTreeMap::from([("name".into(), text(field)), ("type".into(), text(kind))]),
            ),
        );
        field_views.push(DocumentViewId::from(OperationId(entry.0.hash())));
        signed.push(entry);
    }
    let log = author.next_log();
    let definition = author.sign(
        log,
        &Operation::create(
            SchemaId::SCHEMA_DEFINITION_V1,
            BTreeMap::from([
                ("name".into(), text(name)),
                ("description".into(), text(&format!("The {name} schema"))),
                ("fields".into(), Value::PinnedRelationList(field_views)),
            ]),
        ),
    );
    let schema = SchemaId::application(name, DocumentViewId::from(OperationId(definition.0.hash()))).unwrap();
    signed.push(definition);
    (schema, signed)
}

/// Defines the schema `stage` (name: str, capacity: int).
pub(crate) fn stage_schema(author: &mut Author) -> (SchemaId, Vec<Signed>) {
    define_schema(author, "stage", &[("capacity", "int"), ("name", "str")])
}

/// The fields of a stage.
pub(crate) fn stage(name: &str, capacity: i64) -> BTreeMap<String, Value> {
    BTreeMap::from([
        ("name".into(), text(name)),
        ("capacity".into(), Value::Int(capacity)),
    ])
}

/// A document of `schema` created by `author` and then updated `updates` times,
/// each update building on the one before.
pub(crate) fn edited_stage(
    author: &mut Author,
    schema: &SchemaId,
    name: &str,
    updates: usize,
) -> Vec<Signed> {
    let log = author.next_log();
    let mut signed = vec![author.sign(log, &Operation::create(schema.clone(), stage(name, 0)))];
    for capacity in 1..=updates {
        let previous = DocumentViewId::from(OperationId(signed.last().unwrap().0.hash()));
        let fields = BTreeMap::from([("capacity".into(), Value::Int(capacity as i64))]);
        signed.push(author.sign(log, &Operation::update(schema.clone(), previous, fields)));
    }
    signed
}

/// Runs `attempt` again and again, a few milliseconds apart, until it gives
/// a value; panics with what it last said once `within` has passed. (Tests
/// wait this way for what other nodes or threads do.)
pub(crate) async fn eventually<T, Attempt>(
    within: std::time::Duration,
    mut attempt: impl FnMut() -> Attempt,
) -> T
where
    Attempt: std::future::Future<Output = Result<T, String>>,
{
    let began = std::time::Instant::now();
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(state) => assert!(began.elapsed() < within, "still after {within:?}: {state}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// The owner token of [`local_api`].
pub(crate) const OWNER_TOKEN: &str = "7f3a9c0e5b1d2f4a6c8e0b2d4f6a8c0e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a";

/// How a node serves its API to this machine only, without replication.
pub(crate) fn local_api() -> lineup_node::api::ApiOptions {
    lineup_node::api::ApiOptions {
        owner_token: OWNER_TOKEN.into(),
        exposure: lineup_node::api::Exposure::Local,
        ui: None,
        replication: None,
    }
}

/// Serves `node`'s API in process on a free port of 127.0.0.1, until the
/// test ends; its GraphQL URL. Requests come without peer addresses, so on
/// an API shared with the LAN every one counts as another machine's.
pub(crate) async fn serve_api(
    node: std::sync::Arc<lineup_node::node::Node>,
    options: lineup_node::api::ApiOptions,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, lineup_node::api::router(node, options)).await });
    url
}

/// A deterministic shuffle (xorshift-driven Fisher-Yates).
pub(crate) fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

/// A key group and a festival it owns, made by `node`: what owns the
/// channels of the channel tests and benchmark.
pub(crate) async fn found_crew(
    node: &lineup_node::node::Node,
) -> (lineup_core::DocumentId, lineup_core::DocumentId) {
    let crew = node
        .create(
            lineup_node::auth::schemas::key_group_schemas().key_group.clone(),
            [("name".to_owned(), Value::Str("crew".into()))].into(),
        )
        .await
        .unwrap();
    let fields = fields([
        ("owner", Value::Relation(crew)),
        ("crew_leads", Value::Relation(crew)),
        ("crew", Value::Relation(crew)),
        ("name", Value::Str("Wiesenfest".into())),
        ("description", Value::Str(String::new())),
        ("place", Value::Str(String::new())),
        ("start", Value::Int(0)),
        ("end", Value::Int(0)),
        ("time_zone", Value::Str("Europe/Berlin".into())),
        ("demo", Value::Bool(false)),
    ]);
    let festival = node
        .create(lineup_schemas::Kind::Festival.schema_id().clone(), fields)
        .await
        .unwrap();
    (crew, festival)
}

/// Operation fields from `(name, value)` pairs.
pub(crate) fn fields<'a>(
    pairs: impl IntoIterator<Item = (&'a str, Value)>,
) -> std::collections::BTreeMap<String, Value> {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// The QUIC transport of the node whose data dir is `dir`, on a free port
/// of 127.0.0.1, with the key the node made there.
pub(crate) fn loopback_transport(dir: &std::path::Path) -> lineup_node::net::transport::Transport {
    let key = lineup_node::key_file::load_or_create(dir).unwrap();
    lineup_node::net::transport::Transport::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)), &key)
        .unwrap()
}

/// One sync session between two nodes over QUIC on 127.0.0.1, both ways:
/// `a` dials `b`.
pub(crate) async fn sync_over_quic(
    a: (&lineup_node::node::Node, &lineup_node::net::transport::Transport),
    b: (&lineup_node::node::Node, &lineup_node::net::transport::Transport),
) {
    use lineup_node::net::replication::{sync, Replicated, Role};
    let address = b.1.local_addr().unwrap();
    let (dialled, accepted) = tokio::join!(a.1.connect(address, Some(b.0.public_key())), async {
        b.1.accept().await.unwrap().handshake().await
    });
    let (dialled, accepted) = (dialled.unwrap(), accepted.unwrap());
    let (by_a, by_b) = tokio::join!(
        sync(a.0, &dialled, Role::Opener, &Replicated::Everything),
        sync(b.0, &accepted, Role::Acceptor, &Replicated::Everything)
    );
    by_a.unwrap();
    by_b.unwrap();
}
