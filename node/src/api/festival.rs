//! The festival steps (a Lineup addition, on nodes with the festival
//! schemas): found a festival, ask to join one with an invite, which
//! festivals this node's key belongs to, and who is in a festival's groups.

use std::sync::Arc;

use async_graphql::dynamic::{Enum, Field, FieldFuture, FieldValue, InputValue, Object, Type, TypeRef};
use async_graphql::{Error, Value as GqlValue};
use jiff::Timestamp;
use lineup_schemas::Invite;

use super::graphql::{list_field, text_field};
use super::mutations::owner_node;
use super::scalars::{parse, required_text};
use crate::auth::grants::{GroupMember, PendingRequest};
use crate::festival::{
    self, Belonging, FestivalDetails, FestivalGroup, FestivalPeople, FestivalRole, Imported,
};
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

/// The query fields `myFestivals` and `festivalPeople`.
pub(crate) fn queries() -> [Field; 2] {
    [
        Field::new("myFestivals", TypeRef::named_nn_list_nn("MyFestival"), |ctx| {
            FieldFuture::new(async move {
                let node = ctx.data::<Arc<Node>>()?;
                let festivals = festival::festivals_of(node, node.public_key())
                    .await
                    .map_err(|error| Error::new(error.to_string()))?;
                Ok(Some(FieldValue::list(
                    festivals.into_iter().map(FieldValue::owned_any),
                )))
            })
        })
        .description("The festivals this node's key belongs to, or has asked to join, and what it is there."),
        Field::new("festivalPeople", TypeRef::named("FestivalPeople"), |ctx| {
            FieldFuture::new(async move {
                let festival = parse(required_text(&ctx.args, "festival")?, "document id")?;
                let people = festival::festival_people(ctx.data::<Arc<Node>>()?, festival)
                    .await
                    .map_err(|error| Error::new(error.to_string()))?;
                Ok(people.map(FieldValue::owned_any))
            })
        })
        .description(
            "Who is in a festival's organisers, crew leads and crew groups, and who asks to join them, as this \
             node decides it; null if the document is not a festival that counts here.",
        )
        .argument(InputValue::new("festival", TypeRef::named_nn("DocumentId"))),
    ]
}

/// The types the festival fields answer with.
pub(crate) fn types() -> Vec<Type> {
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
                Ok(Some(role_value(belonging.role)))
            })
        }));
    let roles = Enum::new("FestivalRole")
        .description("What a key is at a festival: the most it is.")
        .item("ORGANISER")
        .item("CREW_LEAD")
        .item("CREW")
        .item("ASKED")
        .item("DEMO");
    let mut types = vec![Type::from(object), Type::from(roles), Type::from(imported)];
    types.extend(people_types().map(Type::from));
    types
}

/// `FestivalPeople`, `FestivalGroup`, `GroupMember` and `PendingRequest`.
fn people_types() -> [Object; 4] {
    let people = Object::new("FestivalPeople")
        .description("A festival's groups: organisers, crew leads and crew, in that order.")
        .field(list_field(
            "groups",
            "FestivalGroup",
            |people: &FestivalPeople| &people.groups,
        ));
    let group = Object::new("FestivalGroup")
        .description("One of a festival's key groups, as this node decides it now.")
        .field(Field::new("role", TypeRef::named_nn("FestivalRole"), |ctx| {
            FieldFuture::new(async move {
                let group = ctx.parent_value.try_downcast_ref::<FestivalGroup>()?;
                Ok(Some(role_value(group.role)))
            })
        }))
        .field(
            text_field("group", |group: &FestivalGroup| group.group.to_string())
                .description("The key group's document id."),
        )
        .field(
            text_field("invite", |group: &FestivalGroup| group.invite.to_string())
                .description("The invite code that asks to join it (joinFestival)."),
        )
        .field(
            list_field("members", "GroupMember", |group: &FestivalGroup| &group.members).description(
                "Its founder, then the keys its accepted memberships admit, most senior first; not the keys \
                 of groups that are its members.",
            ),
        )
        .field(
            list_field("requests", "PendingRequest", |group: &FestivalGroup| {
                &group.requests
            })
            .description("Keys that asked to join and wait: no membership of the group answers them yet."),
        );
    let member = Object::new("GroupMember")
        .description("A key in a group: its founder, or a key an accepted membership admits.")
        .field(text_field("publicKey", |member: &GroupMember| {
            member.key.to_string()
        }))
        .field(
            text_field("membership", |member: &GroupMember| {
                member
                    .membership
                    .map(|membership| membership.to_string())
                    .unwrap_or_default()
            })
            .description(
                "The membership that admits it (revokeMembership takes it); empty for the group's founder, \
                 whose rights no membership gives.",
            ),
        )
        .field(
            Field::new("canAuthorise", TypeRef::named_nn(TypeRef::BOOLEAN), |ctx| {
                FieldFuture::new(async move {
                    let member = ctx.parent_value.try_downcast_ref::<GroupMember>()?;
                    Ok(Some(FieldValue::value(member.can_authorise)))
                })
            })
            .description("Whether it may accept and reject requests to join the group."),
        );
    let request = Object::new("PendingRequest")
        .description("A key's request to join a group, not answered yet.")
        .field(
            text_field("request", |pending: &PendingRequest| pending.request.to_string())
                .description("The request document (acceptMembership and rejectMembership take it)."),
        )
        .field(
            text_field("publicKey", |pending: &PendingRequest| pending.key.to_string())
                .description("The key that asks."),
        );
    [people, group, member, request]
}

/// A role as the `FestivalRole` enum's value.
fn role_value(role: FestivalRole) -> FieldValue<'static> {
    let name = match role {
        FestivalRole::Organiser => "ORGANISER",
        FestivalRole::CrewLead => "CREW_LEAD",
        FestivalRole::Crew => "CREW",
        FestivalRole::Asked => "ASKED",
        FestivalRole::Demo => "DEMO",
    };
    FieldValue::value(GqlValue::Enum(async_graphql::Name::new(name)))
}

fn refused(error: festival::FestivalError) -> Error {
    Error::new(error.to_string())
}
