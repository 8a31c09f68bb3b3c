//! The festival steps (a Lineup addition, on nodes with the festival
//! schemas): found a festival, ask to join one with an invite, and which
//! festivals this node's key belongs to.

use async_graphql::dynamic::{Enum, Field, FieldFuture, FieldValue, InputValue, Object, TypeRef};
use async_graphql::Error;
use jiff::Timestamp;
use lineup_schemas::Invite;

use super::mutations::owner_node;
use super::scalars::{parse, required_text};
use crate::festival::{self, Belonging, FestivalDetails, FestivalRole, Imported};
use crate::node::Node;

/// The mutation fields.
pub(crate) fn mutations() -> [Field; 3] {
    [
        Field::new("createFestival", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let text = |name: &str| -> Result<String, Error> { Ok(required_text(&ctx.args, name)?.to_owned()) };
                let time = |name: &str| -> Result<Timestamp, Error> {
                    let seconds = ctx.args.try_get(name)?.i64()?;
                    Timestamp::from_second(seconds).map_err(|_| Error::new(format!("{name}: {seconds} is not a time")))
                };
                let details = FestivalDetails {
                    name: text("name")?,
                    description: text("description")?,
                    place: text("place")?,
                    start: time("start")?,
                    end: time("end")?,
                    time_zone: text("timeZone")?,
                };
                let founded = festival::found(node, details).await.map_err(refused)?;
                Ok(Some(FieldValue::value(founded.festival.to_string())))
            })
        })
        .description(
            "Founds a festival owned by new organisers, crew leads and crew groups that this node's key founds; \
             the festival's document id (owner only). start and end in seconds since 1970 (UTC).",
        )
        .argument(InputValue::new("name", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("description", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("place", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("start", TypeRef::named_nn(TypeRef::INT)))
        .argument(InputValue::new("end", TypeRef::named_nn(TypeRef::INT)))
        .argument(InputValue::new("timeZone", TypeRef::named_nn(TypeRef::STRING))),
        Field::new("joinFestival", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let invite: Invite = parse(required_text(&ctx.args, "invite")?, "invite code")?;
                let request = festival::join(node, invite).await.map_err(refused)?;
                Ok(Some(FieldValue::value(request.to_string())))
            })
        })
        .description(
            "Asks, with this node's key, to join the festival group an invite code \
             (lineup-invite:<festival id>:<group id>) names; the request's document id (owner only).",
        )
        .argument(InputValue::new("invite", TypeRef::named_nn(TypeRef::STRING))),
        Field::new("importSchedule", TypeRef::named_nn("ImportedSchedule"), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let festival = parse(required_text(&ctx.args, "festival")?, "document id")?;
                let file = required_text(&ctx.args, "file")?;
                let imported = festival::import_schedule(node, festival, file)
                    .await
                    .map_err(refused)?;
                Ok(Some(FieldValue::owned_any(imported)))
            })
        })
        .description(
            "Imports a schedule.xml or schedule.json (as pretalx and frab write them) into a festival's programme, \
             signed by this node's key: rooms become areas, persons artists, events slots, matched by guid, so \
             importing a file again changes only what changed, and slots no longer in it are cancelled. All of it \
             or, with an error naming the line or field, nothing (owner only).",
        )
        .argument(InputValue::new("festival", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("file", TypeRef::named_nn(TypeRef::STRING))),
    ]
}

/// The query field `myFestivals`.
pub(crate) fn query() -> Field {
    Field::new("myFestivals", TypeRef::named_nn_list_nn("MyFestival"), |ctx| {
        FieldFuture::new(async move {
            let node = ctx.data::<std::sync::Arc<Node>>()?;
            let festivals = festival::festivals_of(node, node.public_key())
                .await
                .map_err(|error| Error::new(error.to_string()))?;
            Ok(Some(FieldValue::list(
                festivals.into_iter().map(FieldValue::owned_any),
            )))
        })
    })
    .description("The festivals this node's key belongs to, or has asked to join, and what it is there.")
}

/// The types the festival fields answer with.
pub(crate) fn types() -> (Object, Enum, Object) {
    let count = |name: &'static str| {
        Field::new(name, TypeRef::named_nn(TypeRef::INT), move |ctx| {
            FieldFuture::new(async move {
                let imported = ctx.parent_value.try_downcast_ref::<Imported>()?;
                let count = if name == "created" {
                    imported.created
                } else {
                    imported.updated
                };
                Ok(Some(FieldValue::value(count as u64)))
            })
        })
    };
    let imported = Object::new("ImportedSchedule")
        .description("What an import changed: documents created and updated.")
        .field(count("created"))
        .field(count("updated"));
    let object = Object::new("MyFestival")
        .description("A festival this node's key belongs to.")
        .field(Field::new(
            "festival",
            TypeRef::named_nn(TypeRef::STRING),
            |ctx| {
                FieldFuture::new(async move {
                    let belonging = ctx.parent_value.try_downcast_ref::<Belonging>()?;
                    Ok(Some(FieldValue::value(belonging.festival.id.to_string())))
                })
            },
        ))
        .field(Field::new("role", TypeRef::named_nn("FestivalRole"), |ctx| {
            FieldFuture::new(async move {
                let belonging = ctx.parent_value.try_downcast_ref::<Belonging>()?;
                Ok(Some(FieldValue::value(async_graphql::Value::Enum(
                    async_graphql::Name::new(role_name(belonging.role)),
                ))))
            })
        }));
    let roles = Enum::new("FestivalRole")
        .description("What a key is at a festival: the most it is.")
        .item("ORGANISER")
        .item("CREW_LEAD")
        .item("CREW")
        .item("ASKED")
        .item("DEMO");
    (object, roles, imported)
}

fn role_name(role: FestivalRole) -> &'static str {
    match role {
        FestivalRole::Organiser => "ORGANISER",
        FestivalRole::CrewLead => "CREW_LEAD",
        FestivalRole::Crew => "CREW",
        FestivalRole::Asked => "ASKED",
        FestivalRole::Demo => "DEMO",
    }
}

fn refused(error: festival::FestivalError) -> Error {
    Error::new(error.to_string())
}
