//! What authorisation costs at ingest: the same entries ingested into
//! documents a 1,000-member key group owns, and into documents of a schema
//! with the same fields whose `owner` is no key group (so nothing is
//! checked). `cargo bench -p lineup-node --bench authorisation`.

#![allow(clippy::expect_used, clippy::unwrap_used, missing_docs)] // a benchmark fails by panicking

#[path = "../tests/test_utils/mod.rs"]
mod test_utils;

use std::time::{Duration, Instant};

use lineup_core::{DocumentId, DocumentViewId, Operation, OperationId, SchemaId, Value};
use lineup_node::auth::schemas::key_group_schemas;
use lineup_node::replica::Replica;
use lineup_node::store::Durability;
use test_utils::{define_schema, fields, Author, Signed};

const MEMBERS: usize = 1_000;
const UPDATES: usize = 3;
const BATCH: usize = 256;

fn view(signed: &Signed) -> DocumentViewId {
    DocumentViewId::from(OperationId(signed.0.hash()))
}

/// A group of `MEMBERS` members (with can_create and can_update), and its
/// creator; the entries that make it.
fn group(creator: &mut Author, members: &mut [Author]) -> (Signed, Vec<Signed>) {
    let log = creator.next_log();
    let group = creator.sign(
        log,
        &Operation::create(
            key_group_schemas().key_group.clone(),
            fields([("name", Value::Str("Crew".into()))]),
        ),
    );
    let mut entries = vec![group.clone()];
    entries.extend(join(creator, &group, members));
    (group, entries)
}

/// `members` ask to join `group`, and its creator accepts them.
fn join(creator: &mut Author, group: &Signed, members: &mut [Author]) -> Vec<Signed> {
    let schemas = key_group_schemas();
    let mut entries = Vec::new();
    for member in members {
        let log = member.next_log();
        let request = member.sign(
            log,
            &Operation::create(
                schemas.request.clone(),
                fields([
                    ("key_group", Value::Relation(DocumentId(group.0.hash()))),
                    ("member", Value::RelationList(Vec::new())),
                ]),
            ),
        );
        let log = creator.next_log();
        let membership = creator.sign(
            log,
            &Operation::create(
                schemas.membership.clone(),
                fields([
                    ("owner", Value::Relation(DocumentId(group.0.hash()))),
                    ("request", Value::PinnedRelation(view(&request))),
                    ("schema", Value::Str(String::new())),
                    ("accepted", Value::Bool(true)),
                    ("can_authorise", Value::Bool(false)),
                    ("can_create", Value::Bool(true)),
                    ("can_update", Value::Bool(true)),
                    ("can_delete", Value::Bool(false)),
                    ("valid_until", Value::Str(String::new())),
                ]),
            ),
        );
        entries.extend([request, membership]);
    }
    entries
}

/// Each member creates a stage and renames it `UPDATES` times, interleaved.
fn stages(members: &mut [Author], schema: &SchemaId, owner: DocumentId) -> Vec<Signed> {
    let mut per_member: Vec<Vec<Signed>> = Vec::new();
    for member in members.iter_mut() {
        let log = member.next_log();
        let create = vec![
            ("name", Value::Str("Stage".into())),
            ("owner", Value::Relation(owner)),
        ];
        let mut signed = vec![member.sign(log, &Operation::create(schema.clone(), fields(create)))];
        for update in 0..UPDATES {
            let previous = view(signed.last().unwrap());
            let rename = fields([("name", Value::Str(format!("Stage {update}")))]);
            signed.push(member.sign(log, &Operation::update(schema.clone(), previous, rename)));
        }
        per_member.push(signed);
    }
    (0..=UPDATES)
        .flat_map(|step| per_member.iter().map(move |signed| signed[step].clone()))
        .collect()
}

fn ingest(replica: &mut Replica, entries: &[Signed]) -> Duration {
    let start = Instant::now();
    for batch in entries.chunks(BATCH) {
        let outcomes = replica
            .ingest_from_peer("bench", batch.iter().map(|(entry, operation)| (entry, operation)))
            .unwrap();
        assert_eq!(outcomes.len(), batch.len());
    }
    start.elapsed()
}

/// A fresh node with the group and both schemas; how long the stages of
/// the one schema or the other take to ingest, and then one more member.
fn measure(owned: bool) -> (usize, Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::open(&dir.path().join("auth.sqlite"), Durability::Normal).unwrap();
    replica
        .define_locked_schemas(&lineup_node::auth::schemas::lock_entries())
        .unwrap();
    let mut creator = Author::new(1);
    let mut members: Vec<Author> = (0..MEMBERS)
        .map(|index| Author::numbered(index as u64 + 10))
        .collect();
    let (group, group_entries) = group(&mut creator, &mut members);
    let owner_type = format!("relation({})", key_group_schemas().key_group);
    let (authorised, mut setup) =
        define_schema(&mut creator, "stage", &[("name", "str"), ("owner", &owner_type)]);
    // The same fields, but `owner` relates to something that is no key
    // group: a schema without authorisation.
    let (free, free_definition) = define_schema(
        &mut creator,
        "free_stage",
        &[("name", "str"), ("owner", "relation(schema_definition_v1)")],
    );
    setup.extend(free_definition);
    setup.extend(group_entries);
    ingest(&mut replica, &setup);
    let schema = if owned { authorised } else { free };
    let entries = stages(&mut members, &schema, DocumentId(group.0.hash()));
    let took = ingest(&mut replica, &entries);
    // One more member: what the group governs is decided again.
    let joining = join(&mut creator, &group, &mut [Author::numbered(5)]);
    (entries.len(), took, ingest(&mut replica, &joining))
}

fn main() {
    println!("lineup-node authorisation benchmark (release, a real SQLite file, a fresh node each)");
    let start = Instant::now();
    measure(true);
    println!(
        "a node with a group of {MEMBERS} members:     {:.2} s to set up and fill",
        start.elapsed().as_secs_f64()
    );
    // Each twice, alternating; the better of each.
    let runs = [measure(false), measure(true), measure(false), measure(true)];
    let best = |owned: bool| {
        runs.iter()
            .skip(usize::from(owned))
            .step_by(2)
            .map(|(count, took, _)| (*count, *took))
            .min_by_key(|(_, took)| *took)
            .unwrap()
    };
    let ((count, free_took), (_, owned_took)) = (best(false), best(true));
    let per_second = |took: Duration| count as f64 / took.as_secs_f64();
    println!(
        "{count} entries, not authorised:           {:>8.0}/s",
        per_second(free_took)
    );
    println!(
        "{count} entries, owned by the group:       {:>8.0}/s",
        per_second(owned_took)
    );
    println!(
        "cost of authorisation:                 {:.2}x (goal <= 1.2x)",
        owned_took.as_secs_f64() / free_took.as_secs_f64()
    );
    let joined = runs
        .iter()
        .skip(1)
        .step_by(2)
        .map(|(_, _, joined)| *joined)
        .min()
        .unwrap();
    println!(
        "one more member (the group's {count} entries decided again): {:.0} ms",
        joined.as_secs_f64() * 1e3
    );
}
