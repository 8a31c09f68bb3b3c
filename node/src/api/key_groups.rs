//! The owner's key-group steps (a Lineup addition): ask to join a group,
//! accept or reject a request, revoke a membership, all signed with the
//! node's key. Refused, like any publish, with the permission that is
//! missing. Key groups, requests and memberships themselves are read like
//! any documents (`all_key_group_…`).

use async_graphql::dynamic::{Field, FieldFuture, FieldValue, InputValue, ResolverContext, TypeRef};
use async_graphql::Error;
use lineup_core::DocumentId;

use super::mutations::owner_node;
use super::scalars::{optional_text, parse, required_text};
use crate::auth::grants::Permissions;
use crate::auth::memberships::{self, Answer};

/// The mutation fields.
pub(crate) fn fields() -> [Field; 4] {
    [
        Field::new("requestMembership", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let group = document(&ctx, "keyGroup")?;
                let member = optional_text(&ctx.args, "memberGroup")?
                    .map(|text| parse::<DocumentId>(text, "document id"))
                    .transpose()?;
                let request = memberships::request(node, group, member).await.map_err(refused)?;
                Ok(Some(FieldValue::value(request.to_string())))
            })
        })
        .description(
            "Asks for this node's key, or the group in memberGroup that it may authorise for, to join keyGroup; \
             the request's document id (owner only).",
        )
        .argument(InputValue::new("keyGroup", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("memberGroup", TypeRef::named(TypeRef::STRING))),
        Field::new("acceptMembership", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let request = document(&ctx, "request")?;
                let flag = |name: &str| -> Result<bool, Error> { ctx.args.try_get(name)?.boolean() };
                let permissions = Permissions {
                    authorise: flag("canAuthorise")?,
                    create: flag("canCreate")?,
                    update: flag("canUpdate")?,
                    delete: flag("canDelete")?,
                };
                let schema = optional_text(&ctx.args, "schema")?
                    .map(|text| parse(text, "schema id"))
                    .transpose()?;
                let answer = Answer::Accept { permissions, schema };
                let membership = memberships::answer(node, request, answer).await.map_err(refused)?;
                Ok(Some(FieldValue::value(membership.to_string())))
            })
        })
        .description(
            "Accepts a membership request with these permissions, for documents of schema only if given; \
             the membership's document id (owner only; this node's key needs can_authorise).",
        )
        .argument(InputValue::new("request", TypeRef::named_nn(TypeRef::STRING)))
        .argument(InputValue::new("canAuthorise", TypeRef::named_nn(TypeRef::BOOLEAN)))
        .argument(InputValue::new("canCreate", TypeRef::named_nn(TypeRef::BOOLEAN)))
        .argument(InputValue::new("canUpdate", TypeRef::named_nn(TypeRef::BOOLEAN)))
        .argument(InputValue::new("canDelete", TypeRef::named_nn(TypeRef::BOOLEAN)))
        .argument(InputValue::new("schema", TypeRef::named(TypeRef::STRING))),
        Field::new("rejectMembership", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let request = document(&ctx, "request")?;
                let membership = memberships::answer(node, request, Answer::Reject).await.map_err(refused)?;
                Ok(Some(FieldValue::value(membership.to_string())))
            })
        })
        .description("Rejects a membership request; the membership's document id (owner only).")
        .argument(InputValue::new("request", TypeRef::named_nn(TypeRef::STRING))),
        Field::new("revokeMembership", TypeRef::named_nn(TypeRef::STRING), |ctx| {
            FieldFuture::new(async move {
                let node = owner_node(&ctx)?;
                let membership = document(&ctx, "membership")?;
                let view = memberships::revoke(node, membership).await.map_err(refused)?;
                Ok(Some(FieldValue::value(view.to_string())))
            })
        })
        .description(
            "Revokes a membership: what the member did that this node holds still counts, nothing after; \
             the membership's new view id (owner only).",
        )
        .argument(InputValue::new("membership", TypeRef::named_nn(TypeRef::STRING))),
    ]
}

fn document(ctx: &ResolverContext<'_>, name: &str) -> Result<DocumentId, Error> {
    parse(required_text(&ctx.args, name)?, "document id")
}

fn refused(error: memberships::MembershipError) -> Error {
    Error::new(error.to_string())
}
