// Drives a node with shirokuma, the p2panda client for JavaScript: defines a
// schema, creates and updates a document, reads it back. Prints the result
// as one JSON line. Usage: node roundtrip.mjs <graphql endpoint>
import { KeyPair, OperationFields, Session } from 'shirokuma';

const endpoint = process.argv[2];
const session = new Session(endpoint).setKeyPair(new KeyPair());

async function defineField(name, type) {
  return session.create({ name, type }, { schemaId: 'schema_field_definition_v1' });
}

const fieldIds = [
  await defineField('title', 'str'),
  await defineField('n', 'int'),
  await defineField('score', 'float'),
];
const definition = new OperationFields();
definition.insert('name', 'str', 'js_note');
definition.insert('description', 'str', 'A note written by shirokuma');
definition.insert('fields', 'pinned_relation_list', fieldIds.map((id) => [id]));
const definitionId = await session.create(definition, { schemaId: 'schema_definition_v1' });
const schemaId = `js_note_${definitionId}`;

const documentId = await session.create(
  { title: 'hello from the npm client', n: 42, score: 1.5 },
  { schemaId },
);
const viewAfterUpdate = await session.update({ n: 43 }, documentId, { schemaId });

const response = await fetch(endpoint, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    query: `query Q($id: DocumentId!) { doc: ${schemaId}(id: $id) { meta { documentId viewId owner } fields { title n score } } }`,
    variables: { id: documentId },
  }),
});
const queried = await response.json();
console.log(JSON.stringify({ schemaId, documentId, viewAfterUpdate, publicKey: session.keyPair.publicKey(), queried }));
