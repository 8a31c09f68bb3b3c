//! The owner's mutations against a running `lineup-node`: with the owner
//! token they create, update and delete documents signed by the node; without
//! it (or with another token) they are refused and change nothing.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a test fails by panicking

mod running_node;

use running_node::RunningNode;
use serde_json::{json, Value as Json};

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn send(&self, token: Option<&str>, query: &str, variables: Json) -> Json {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    /// Sends as the owner and expects success.
    async fn owner(&self, token: &str, query: &str, variables: Json) -> Json {
        let answer = self.send(Some(token), query, variables).await;
        assert!(answer.get("errors").is_none(), "{answer}");
        answer["data"].clone()
    }
}

fn refused(answer: &Json) -> bool {
    answer["errors"]
        .as_array()
        .is_some_and(|errors| !errors.is_empty())
}

#[tokio::test]
async fn only_the_owner_writes_with_the_nodes_key() {
    let node = RunningNode::start();
    let client = Client {
        http: reqwest::Client::new(),
        url: node.graphql.clone(),
    };
    let token = node.owner_token.as_str();

    // A schema, defined through the typed mutations of the system schemas.
    let mut field_views = Vec::new();
    for (name, kind) in [("name", "str"), ("capacity", "int")] {
        let data = client
            .owner(
                token,
                "mutation F($name: String!, $type: String!) { create_schema_field_definition_v1(fields: { name: $name, type: $type }) { meta { viewId } } }",
                json!({"name": name, "type": kind}),
            )
            .await;
        field_views.push(data["create_schema_field_definition_v1"]["meta"]["viewId"].clone());
    }
    let data = client
        .owner(
            token,
            "mutation S($fields: [DocumentViewId!]!) { create_schema_definition_v1(fields: { name: \"stage\", description: \"A stage\", fields: $fields }) { meta { viewId } } }",
            json!({"fields": field_views}),
        )
        .await;
    let schema = format!(
        "stage_{}",
        data["create_schema_definition_v1"]["meta"]["viewId"]
            .as_str()
            .unwrap()
    );

    let create = format!(
        "mutation C($name: String!) {{ create_{schema}(fields: {{ name: $name, capacity: 500 }}) {{ meta {{ documentId owner }} fields {{ name capacity }} }} }}"
    );
    let count = format!("{{ all_{schema} {{ totalCount }} }}");
    let total = |answer: Json| answer["data"][format!("all_{schema}")]["totalCount"].clone();

    // Refused without the token, with another token, or a token as a cookie.
    for token in [None, Some("00".repeat(32).as_str())] {
        let answer = client.send(token, &create, json!({"name": "Main"})).await;
        assert!(refused(&answer), "{answer}");
    }
    let cookie = client
        .http
        .post(&client.url)
        .header("cookie", format!("token={token}"))
        .json(&json!({"query": create, "variables": {"name": "Main"}}))
        .send()
        .await
        .unwrap()
        .json::<Json>()
        .await
        .unwrap();
    assert!(refused(&cookie), "{cookie}");
    assert_eq!(total(client.send(None, &count, json!({})).await), json!(0));

    // The owner creates, updates and deletes.
    let created =
        client.owner(token, &create, json!({"name": "Main"})).await[format!("create_{schema}")].clone();
    assert_eq!(created["fields"], json!({"name": "Main", "capacity": 500}));
    let id = created["meta"]["documentId"].as_str().unwrap().to_owned();
    let updated = client
        .owner(
            token,
            &format!("mutation U($id: DocumentId!) {{ update_{schema}(id: $id, fields: {{ capacity: 800 }}) {{ meta {{ edited }} fields {{ name capacity }} }} }}"),
            json!({"id": id}),
        )
        .await[format!("update_{schema}")]
        .clone();
    assert_eq!(
        updated,
        json!({"meta": {"edited": true}, "fields": {"name": "Main", "capacity": 800}})
    );
    assert_eq!(total(client.send(None, &count, json!({})).await), json!(1));

    let delete = format!("mutation D($id: DocumentId!) {{ delete_{schema}(id: $id) }}");
    assert!(refused(&client.send(None, &delete, json!({"id": id})).await));
    let deleted = client.owner(token, &delete, json!({"id": id})).await;
    assert_eq!(deleted[format!("delete_{schema}")], json!(id));
    assert_eq!(total(client.send(None, &count, json!({})).await), json!(0));
}
