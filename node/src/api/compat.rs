//! What p2panda clients send that a strict GraphQL server would refuse.
//!
//! `shirokuma` (p2panda-js) declares the variables of `nextArgs` and `publish`
//! as `String`, where the arguments have p2panda's scalar types; aquadoggo's
//! older GraphQL library let that pass. The variables are retyped before
//! validation, so the scalar checks still apply to their values.

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, Selection, Type,
};
use async_graphql::Name;
use async_graphql_value::Value;

/// The scalar each argument of the p2panda root fields has.
const SCALAR_ARGUMENTS: &[(&str, &str, &str)] = &[
    ("nextArgs", "publicKey", "PublicKey"),
    ("nextArgs", "viewId", "DocumentViewId"),
    ("publish", "entry", "EncodedEntry"),
    ("publish", "operation", "EncodedOperation"),
];

/// Retypes `String` variables used as arguments of `nextArgs` and `publish`.
pub(crate) fn retype_string_variables(document: &mut ExecutableDocument) {
    match &mut document.operations {
        DocumentOperations::Single(operation) => retype(&mut operation.node),
        DocumentOperations::Multiple(operations) => operations
            .values_mut()
            .for_each(|operation| retype(&mut operation.node)),
    }
}

fn retype(operation: &mut OperationDefinition) {
    let mut retyped: Vec<(Name, &str)> = Vec::new();
    for selection in &operation.selection_set.node.items {
        let Selection::Field(field) = &selection.node else {
            continue;
        };
        for (argument, value) in &field.node.arguments {
            let Value::Variable(variable) = &value.node else {
                continue;
            };
            let scalar = SCALAR_ARGUMENTS.iter().find(|(root, name, _)| {
                *root == field.node.name.node.as_str() && *name == argument.node.as_str()
            });
            if let Some((_, _, scalar)) = scalar {
                retyped.push((variable.clone(), scalar));
            }
        }
    }
    for definition in &mut operation.variable_definitions {
        let Some((_, scalar)) = retyped
            .iter()
            .find(|(variable, _)| *variable == definition.node.name.node)
        else {
            continue;
        };
        let declared: &mut Type = &mut definition.node.var_type.node;
        if matches!(&declared.base, BaseType::Named(name) if name.as_str() == "String") {
            declared.base = BaseType::Named(Name::new(scalar));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retyped(query: &str) -> Vec<String> {
        let mut document = async_graphql::parser::parse_query(query).unwrap();
        retype_string_variables(&mut document);
        let (_, operation) = document.operations.iter().next().unwrap();
        operation
            .node
            .variable_definitions
            .iter()
            .map(|definition| definition.node.var_type.node.to_string())
            .collect()
    }

    #[test]
    fn retypes_the_string_variables_of_p2panda_arguments_only() {
        assert_eq!(
            retyped("query N($publicKey: String!, $viewId: String) { nextArgs(publicKey: $publicKey, viewId: $viewId) { logId } }"),
            ["PublicKey!", "DocumentViewId"]
        );
        assert_eq!(
            retyped("mutation P($entry: String!, $operation: String!) { publish(entry: $entry, operation: $operation) { logId } }"),
            ["EncodedEntry!", "EncodedOperation!"]
        );
        // Elsewhere a String stays a String, and other types stay as declared.
        assert_eq!(
            retyped(
                "query Q($id: String!, $key: Int) { doc(id: $id) { x } nextArgs(publicKey: $key) { logId } }"
            ),
            ["String!", "Int"]
        );
    }
}
