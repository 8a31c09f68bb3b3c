//! Secret-group channels across nodes that sync over real QUIC on
//! 127.0.0.1: members read each other, nobody else does, and no plaintext
//! reaches any node's files.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;
mod test_utils;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lineup_core::{DocumentId, DocumentViewId, OperationId, PublicKey, Value};
use lineup_node::auth::schemas::key_group_schemas;
use lineup_node::net::transport::Transport;
use lineup_node::node::Node;
use lineup_node::secret::channels::{NewChannel, Setting};
use lineup_schemas::Kind;

/// A node with its transport, on a data dir of its own.
struct Device {
    node: Arc<Node>,
    transport: Transport,
    dir: PathBuf,
    _temporary: tempfile::TempDir,
}

impl Device {
    async fn start() -> Self {
        let temporary = tempfile::tempdir().unwrap();
        let dir = temporary.path().to_owned();
        let (node, transport) = start_on(&dir).await;
        Self {
            node,
            transport,
            dir,
            _temporary: temporary,
        }
    }

    /// Stops the node and starts it again on the same data dir.
    async fn restart(&mut self) {
        self.node.stop().await.unwrap();
        let (node, transport) = start_on(&self.dir).await;
        (self.node, self.transport) = (node, transport);
    }

    fn key(&self) -> PublicKey {
        self.node.public_key()
    }

    async fn texts(&self, channel: DocumentId) -> Vec<Result<String, String>> {
        let messages = self.node.channel_messages(channel).await.unwrap();
        messages
            .into_iter()
            .map(|message| message.letter.map(|letter| letter.text))
            .collect()
    }

    async fn members(&self, channel: DocumentId) -> Option<Vec<PublicKey>> {
        let state = self.node.channel_state(channel).await.unwrap();
        state.member.then_some(state.members)
    }
}

async fn start_on(dir: &Path) -> (Arc<Node>, Transport) {
    let node = Arc::new(Node::builder().data_dir(dir).spawn().await.unwrap());
    (node, test_utils::loopback_transport(dir))
}

/// One sync session between two devices, both ways.
async fn sync_pair(a: &Device, b: &Device) {
    test_utils::sync_over_quic((&a.node, &a.transport), (&b.node, &b.transport)).await;
}

/// Syncs every device with the first and back, so that all have everything.
async fn sync_all(devices: &[&Device]) {
    for round in 0..2 {
        for other in &devices[1..] {
            sync_pair(devices[0], other).await;
        }
        let _ = round;
    }
}

/// `N` devices, synced; the first has made a key group and a festival,
/// which own the channels.
async fn crew<const N: usize>() -> ([Device; N], DocumentId, DocumentId) {
    let mut devices = Vec::new();
    for _ in 0..N {
        devices.push(Device::start().await);
    }
    let (crew, festival) = test_utils::found_crew(&devices[0].node).await;
    sync_all(&devices.iter().collect::<Vec<_>>()).await;
    let Ok(devices) = <[Device; N]>::try_from(devices) else {
        unreachable!("N devices were started")
    };
    (devices, crew, festival)
}

/// A chat channel of `a` with `members`, synced to every device.
async fn chat_of(
    devices: &[&Device],
    crew: DocumentId,
    festival: DocumentId,
    members: &[&Device],
) -> DocumentId {
    let members = members.iter().map(|member| member.key()).collect();
    let id = devices[0]
        .node
        .create_channel(channel(crew, festival, Setting::Chat, members))
        .await
        .unwrap();
    sync_all(devices).await;
    id
}

/// Lets `member` change what the crew owns, as the crew's creator.
async fn make_admin(organiser: &Device, member: &Device, crew: DocumentId) {
    let schemas = key_group_schemas();
    let request = member
        .node
        .create(
            schemas.request.clone(),
            [
                ("key_group".to_owned(), Value::Relation(crew)),
                ("member".to_owned(), Value::RelationList(Vec::new())),
            ]
            .into(),
        )
        .await
        .unwrap();
    sync_pair(organiser, member).await;
    let request_view = DocumentViewId::from(OperationId(*request.hash()));
    let fields = test_utils::fields([
        ("owner", Value::Relation(crew)),
        ("request", Value::PinnedRelation(request_view)),
        ("schema", Value::Str(String::new())),
        ("accepted", Value::Bool(true)),
        ("can_authorise", Value::Bool(false)),
        ("can_create", Value::Bool(true)),
        ("can_update", Value::Bool(true)),
        ("can_delete", Value::Bool(true)),
        ("valid_until", Value::Str(String::new())),
    ]);
    organiser
        .node
        .create(schemas.membership.clone(), fields)
        .await
        .unwrap();
}

fn channel(crew: DocumentId, festival: DocumentId, setting: Setting, members: Vec<PublicKey>) -> NewChannel {
    NewChannel {
        festival,
        owner: crew,
        name: "security".into(),
        setting,
        members,
    }
}

/// Every file in the data dir, raw.
fn files_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect()
}

/// `text` as it could appear in a file: itself, in hex (either case), and
/// in base64 at each of the three alignments.
fn spellings(text: &str) -> Vec<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut spellings = vec![
        bytes.to_vec(),
        hex::encode(bytes).into_bytes(),
        hex::encode_upper(bytes).into_bytes(),
    ];
    for shift in 0..3 {
        let padded: Vec<u8> = std::iter::repeat_n(0, shift)
            .chain(bytes.iter().copied())
            .collect();
        let encoded = base64(&padded);
        // Skip the characters that the padding or the end touch.
        let start = (shift * 4).div_ceil(3);
        let end = encoded.len() - 4;
        spellings.push(encoded.as_bytes()[start..end].to_vec());
    }
    spellings
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::new();
    for chunk in bytes.chunks(3) {
        let value = chunk.iter().enumerate().fold(0u32, |value, (at, byte)| {
            value | u32::from(*byte) << (16 - 8 * at)
        });
        for at in 0..4 {
            if at <= chunk.len() {
                text.push(ALPHABET[(value >> (18 - 6 * at) & 63) as usize] as char);
            } else {
                text.push('=');
            }
        }
    }
    text
}

fn assert_nowhere(text: &str, devices: &[&Device]) {
    for device in devices {
        for (path, bytes) in files_of(&device.dir) {
            for spelling in spellings(text) {
                assert!(
                    !bytes
                        .windows(spelling.len())
                        .any(|window| window == spelling.as_slice()),
                    "{text:?} is in {} as {:?}",
                    path.display(),
                    String::from_utf8_lossy(&spelling)
                );
            }
        }
    }
}

#[test]
fn base64_spellings_are_found_where_base64_hides_the_text() {
    let text = "the gate code is 4711";
    for prefix in ["", "x", "xy"] {
        let encoded = base64(format!("{prefix}{text}, said Kim").as_bytes());
        assert!(
            spellings(text).iter().any(|spelling| encoded
                .as_bytes()
                .windows(spelling.len())
                .any(|w| w == spelling.as_slice())),
            "{prefix:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_read_a_channel_and_no_plaintext_reaches_any_file() {
    let ([a, b, c], crew, festival) = crew().await;
    let id = a
        .node
        .create_channel(channel(crew, festival, Setting::Chat, vec![b.key(), c.key()]))
        .await
        .unwrap();
    a.node
        .send_to_channel(id, "the gate code is 4711".into())
        .await
        .unwrap();
    sync_all(&[&a, &b, &c]).await;
    let everyone = Some(vec![a.key(), b.key(), c.key()]);
    assert_eq!(b.members(id).await, everyone);
    assert_eq!(c.members(id).await, everyone);
    b.node
        .send_to_channel(id, "copy that, gate B".into())
        .await
        .unwrap();
    sync_all(&[&a, &b, &c]).await;
    let both = vec![
        Ok("the gate code is 4711".to_owned()),
        Ok("copy that, gate B".to_owned()),
    ];
    for device in [&a, &b, &c] {
        assert_eq!(device.texts(id).await, both);
    }

    // While the nodes run (their write-ahead logs hold the latest writes),
    // and after they stopped and folded them into the database.
    for running in [true, false] {
        if running {
            assert!(
                files_of(&a.dir)
                    .iter()
                    .any(|(path, bytes)| path.to_string_lossy().ends_with("-wal") && !bytes.is_empty()),
                "a write-ahead log to search"
            );
        } else {
            for device in [&a, &b, &c] {
                device.node.stop().await.unwrap();
            }
        }
        assert_nowhere("the gate code is 4711", &[&a, &b, &c]);
        assert_nowhere("copy that, gate B", &[&a, &b, &c]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_member_cannot_read_what_follows_and_a_restart_keeps_the_group() {
    let ([a, mut b, c], crew, festival) = crew().await;
    let id = a
        .node
        .create_channel(channel(crew, festival, Setting::Chat, vec![b.key(), c.key()]))
        .await
        .unwrap();
    sync_all(&[&a, &b, &c]).await;

    b.restart().await;
    a.node.remove_channel_members(id, vec![c.key()]).await.unwrap();
    a.node.send_to_channel(id, "C has left".into()).await.unwrap();
    sync_all(&[&a, &b, &c]).await;
    assert_eq!(b.members(id).await, Some(vec![a.key(), b.key()]));
    assert_eq!(b.texts(id).await, vec![Ok("C has left".to_owned())]);
    assert_eq!(c.members(id).await, None);
    assert_eq!(
        c.texts(id).await,
        vec![Err("sent after this device left the channel".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn who_joins_later_reads_earlier_notes_but_not_earlier_chat() {
    let ([a, b, d], crew, festival) = crew().await;
    let chat = a
        .node
        .create_channel(channel(crew, festival, Setting::Chat, vec![b.key()]))
        .await
        .unwrap();
    let notes = a
        .node
        .create_channel(channel(crew, festival, Setting::Notes, vec![b.key()]))
        .await
        .unwrap();
    a.node
        .send_to_channel(chat, "before D: chat".into())
        .await
        .unwrap();
    a.node
        .send_to_channel(notes, "before D: notes".into())
        .await
        .unwrap();
    sync_all(&[&a, &b, &d]).await;
    for (channel, text) in [(chat, "before D: chat"), (notes, "before D: notes")] {
        assert_eq!(b.texts(channel).await, vec![Ok(text.to_owned())]);
        assert_eq!(
            d.texts(channel).await,
            vec![Err("this device is not a member of the channel".to_owned())]
        );
    }

    a.node.add_channel_members(chat, vec![d.key()]).await.unwrap();
    a.node.add_channel_members(notes, vec![d.key()]).await.unwrap();
    sync_all(&[&a, &b, &d]).await;
    assert_eq!(d.texts(notes).await, vec![Ok("before D: notes".to_owned())]);
    assert_eq!(
        d.texts(chat).await,
        vec![Err("sent before this device joined the channel".to_owned())]
    );
    d.node.send_to_channel(chat, "D here".into()).await.unwrap();
    sync_all(&[&a, &b, &d]).await;
    assert_eq!(
        a.texts(chat).await,
        vec![Ok("before D: chat".to_owned()), Ok("D here".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commits_on_both_sides_of_a_partition_converge() {
    let ([a, b, c, d], crew, festival) = crew().await;
    make_admin(&a, &b, crew).await;
    let id = chat_of(&[&a, &b, &c, &d], crew, festival, &[&b, &c]).await;

    // A and D on one side, B and C on the other: each side changes the
    // members in the same epoch, and talks in it.
    a.node.add_channel_members(id, vec![d.key()]).await.unwrap();
    a.node.send_to_channel(id, "A, with D in".into()).await.unwrap();
    sync_pair(&a, &d).await;
    b.node.remove_channel_members(id, vec![c.key()]).await.unwrap();
    b.node.send_to_channel(id, "B, with C out".into()).await.unwrap();
    sync_pair(&b, &c).await;
    assert_eq!(a.node.channel_state(id).await.unwrap().epoch, 2);
    assert_eq!(b.node.channel_state(id).await.unwrap().epoch, 2);

    // Healed: one commit wins, its loser's change is made again after it,
    // and the letters of the lost epoch are sent again.
    for _ in 0..3 {
        sync_all(&[&a, &b, &c, &d]).await;
    }
    let mut expected = vec![a.key(), b.key(), d.key()];
    expected.sort();
    let epochs: Vec<u64> = futures_epochs(&[&a, &b, &d], id).await;
    assert_eq!(epochs, vec![3, 3, 3], "one commit each, the loser made again");
    for device in [&a, &b, &d] {
        let mut members = device.members(id).await.expect("a member");
        members.sort();
        assert_eq!(members, expected);
    }
    let both = vec![Ok("A, with D in".to_owned()), Ok("B, with C out".to_owned())];
    for device in [&a, &b] {
        let mut texts = device.texts(id).await;
        texts.sort();
        assert_eq!(texts, both, "each letter once, sent again if its epoch lost");
    }
    // D reads B's letter only if A's commit, which added D, won: if B's
    // did, D joined after the letter, as A added D again.
    let on_d = d.texts(id).await;
    assert!(on_d.contains(&Ok("A, with D in".to_owned())), "{on_d:?}");
    assert_eq!(on_d.len(), 2, "{on_d:?}");
    assert_eq!(c.members(id).await, None);
}

async fn futures_epochs(devices: &[&Device], channel: DocumentId) -> Vec<u64> {
    let mut epochs = Vec::new();
    for device in devices {
        epochs.push(device.node.channel_state(channel).await.unwrap().epoch);
    }
    epochs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_offline_for_two_epochs_catches_up() {
    let ([a, b, c, d], crew, festival) = crew().await;
    let id = chat_of(&[&a, &b, &c, &d], crew, festival, &[&b, &c]).await;

    // C is away while D comes and B goes.
    a.node.add_channel_members(id, vec![d.key()]).await.unwrap();
    a.node.send_to_channel(id, "D is in".into()).await.unwrap();
    a.node.remove_channel_members(id, vec![b.key()]).await.unwrap();
    a.node.send_to_channel(id, "B is out".into()).await.unwrap();
    sync_all(&[&a, &b, &d]).await;
    assert_eq!(c.node.channel_state(id).await.unwrap().epoch, 1);

    sync_pair(&c, &a).await;
    let state = c.node.channel_state(id).await.unwrap();
    assert_eq!(state.epoch, 3);
    let mut members = state.members;
    members.sort();
    let mut expected = vec![a.key(), c.key(), d.key()];
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(
        c.texts(id).await,
        vec![Ok("D is in".to_owned()), Ok("B is out".to_owned())]
    );
    let on_b = b.texts(id).await;
    assert_eq!(on_b[0], Ok("D is in".to_owned()));
    assert!(on_b[1].is_err(), "B was out: {on_b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_replayed_or_forged_channel_documents_change_no_group() {
    let ([a, b, mallory], crew, festival) = crew().await;
    make_admin(&a, &mallory, crew).await;
    let id = a
        .node
        .create_channel(channel(
            crew,
            festival,
            Setting::Chat,
            vec![b.key(), mallory.key()],
        ))
        .await
        .unwrap();
    a.node.send_to_channel(id, "first".into()).await.unwrap();
    sync_all(&[&a, &b, &mallory]).await;
    let message = |ciphertext: String| {
        [
            ("owner".to_owned(), Value::Str(mallory.key().to_string())),
            ("channel".to_owned(), Value::Relation(id)),
            ("ciphertext".to_owned(), Value::Str(ciphertext)),
        ]
        .into()
    };
    // Not hex; not a sealed letter; A's letter copied under Mallory's name.
    let schema = Kind::ChannelMessage.schema_id().clone();
    let first = a.node.channel_messages(id).await.unwrap()[0].id;
    let copied = match &a.node.document(first).await.unwrap().unwrap().fields.unwrap()["ciphertext"].value {
        Value::Str(ciphertext) => ciphertext.clone(),
        other => panic!("{other:?}"),
    };
    for ciphertext in ["not hex".to_owned(), "09ff".to_owned(), copied] {
        mallory
            .node
            .create(schema.clone(), message(ciphertext))
            .await
            .unwrap();
    }
    // A commit that does not apply, in the next epoch.
    let head = a.node.channel_state(id).await.unwrap();
    let commits = Kind::ChannelCommit.schema_id().clone();
    let first_commit = a
        .node
        .documents(commits.clone(), lineup_node::query::DocumentQuery::default())
        .await
        .unwrap()
        .items[0]
        .id;
    mallory
        .node
        .create(
            commits,
            [
                ("owner".to_owned(), Value::Relation(id)),
                ("previous".to_owned(), Value::Str(first_commit.to_string())),
                ("epoch".to_owned(), Value::Int(2)),
                ("commit".to_owned(), Value::Str("0001".into())),
                ("welcome".to_owned(), Value::Str(String::new())),
                ("secrets".to_owned(), Value::Str(String::new())),
            ]
            .into(),
        )
        .await
        .unwrap();
    sync_all(&[&a, &b, &mallory]).await;

    for device in [&a, &b] {
        assert_eq!(
            device.node.channel_state(id).await.unwrap(),
            head,
            "the group is as it was"
        );
        let texts = device.texts(id).await;
        assert_eq!(texts[0], Ok("first".to_owned()));
        assert_eq!(texts.len(), 4, "{texts:?}");
        for refused in &texts[1..] {
            let why = refused.as_ref().unwrap_err();
            assert!(!why.is_empty(), "{texts:?}");
        }
    }
    // And the channel still works.
    a.node
        .remove_channel_members(id, vec![mallory.key()])
        .await
        .unwrap();
    a.node.send_to_channel(id, "after".into()).await.unwrap();
    sync_all(&[&a, &b, &mallory]).await;
    let read: Vec<_> = b.texts(id).await.into_iter().filter_map(Result::ok).collect();
    assert_eq!(read, ["first", "after"]);
    assert_eq!(b.node.channel_state(id).await.unwrap().epoch, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_works_channels_through_graphql_and_nobody_else_can() {
    let ([a, b], crew, festival) = crew().await;
    let url = test_utils::serve_api(Arc::clone(&a.node), test_utils::local_api()).await;
    let client = reqwest::Client::new();
    let ask = |token: Option<&'static str>, query: &str, variables: serde_json::Value| {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let (client, url) = (client.clone(), url.clone());
        async move { running_node::post_graphql(&client, &url, token, &body).await }
    };
    let owner = Some(test_utils::OWNER_TOKEN);
    let create = "mutation($festival: DocumentId!, $crew: DocumentId!, $members: [PublicKey!]!) {
        createChannel(festival: $festival, keyGroup: $crew, name: \"security\", setting: \"chat\", members: $members) }";
    let variables = serde_json::json!({
        "festival": festival.to_string(), "crew": crew.to_string(), "members": [b.key().to_string()]
    });
    let refused = ask(None, create, variables.clone()).await;
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("owner"),
        "{refused}"
    );
    let created = ask(owner, create, variables).await;
    let id = created["data"]["createChannel"]
        .as_str()
        .expect("a channel id")
        .to_owned();
    let send = "mutation($id: DocumentId!) { sendToChannel(channel: $id, text: \"radio on channel 4\") }";
    let sent = ask(owner, send, serde_json::json!({ "id": id })).await;
    assert!(sent["data"]["sendToChannel"].is_string(), "{sent}");

    let list = "query($festival: DocumentId!) { channels(festival: $festival) {
        id name setting member members messages { sender text sentAt unreadable } } }";
    let festival_only = serde_json::json!({ "festival": festival.to_string() });
    let listed = ask(owner, list, festival_only.clone()).await;
    assert_eq!(
        listed["data"]["channels"].as_array().map(Vec::len),
        Some(1),
        "the refused create made nothing: {listed}"
    );
    let channel = &listed["data"]["channels"][0];
    assert_eq!(channel["id"], id.as_str(), "{listed}");
    assert_eq!(
        (channel["name"].as_str(), channel["member"].as_bool()),
        (Some("security"), Some(true))
    );
    assert_eq!(channel["members"].as_array().unwrap().len(), 2);
    assert_eq!(channel["messages"][0]["text"], "radio on channel 4");
    assert_eq!(channel["messages"][0]["sender"], a.key().to_string());
    assert!(channel["messages"][0]["unreadable"].is_null());
    // The same question from a visitor: refused, not answered from the owner's.
    let visitor = ask(None, list, festival_only).await;
    assert!(
        visitor["data"].is_null() || visitor["data"]["channels"].is_null(),
        "{visitor}"
    );
    assert!(!visitor.to_string().contains("radio on channel 4"), "{visitor}");

    sync_all(&[&a, &b]).await;
    assert_eq!(
        b.texts(id.parse().unwrap()).await,
        vec![Ok("radio on channel 4".to_owned())]
    );
}
