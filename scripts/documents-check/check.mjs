// Checks the client documents as JavaScript tooling reads them: graphql-js parses and
// validates each against the schema, GraphQL Inspector's `validate` adds deprecated usage
// and the server's depth, alias and token limits, and the rules Relay's compiler and
// graphql`...` template literals impose are checked on the text.
//
//   node check.mjs <schema.graphql> <operations folder> [maxDepth maxAliases maxTokens]
//
// Prints one JSON line per problem ({"path", "message"}) and exits 1 when there is any.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildSchema, parse, Source, Kind } from "graphql";
import { validate } from "@graphql-inspector/core";

const [schemaPath, folder, maxDepth = "10", maxAliases = "15", maxTokens = "2000"] =
  process.argv.slice(2);
if (!schemaPath || !folder) {
  console.error("usage: node check.mjs <schema.graphql> <operations folder> [limits]");
  process.exit(2);
}

function documents(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return documents(path);
      return name.endsWith(".graphql") ? [path] : [];
    });
}

const schema = buildSchema(readFileSync(schemaPath, "utf8"));
const files = documents(folder);
const problems = [];
const report = (path, message) => problems.push({ path: relative(folder, path), message });

const sources = files.map((path) => new Source(readFileSync(path, "utf8"), path));
const invalid = validate(schema, sources, {
  strictDeprecated: true,
  maxDepth: Number(maxDepth),
  maxAliasCount: Number(maxAliases),
  maxTokenCount: Number(maxTokens),
});
for (const document of invalid) {
  for (const error of [...document.errors, ...document.deprecated]) {
    report(document.source.name, error.message);
  }
}

const names = new Map(); // operation names by client folder: Relay wants them unique
for (const source of sources) {
  const text = source.body;
  // A graphql`...` template literal ends at a backtick and splices at ${.
  if (text.includes("`") || text.includes("${") || text.includes("\\")) {
    report(source.name, "holds a character a JavaScript template literal would act on");
  }
  let document;
  try {
    document = parse(source);
  } catch (error) {
    continue; // reported by validate
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      if (variable.defaultValue && variable.type.kind === Kind.NON_NULL_TYPE) {
        report(source.name, `$${variable.variable.name.value} is non-null with a default`);
      }
    }
    const client = relative(folder, source.name).split(/[\\/]/)[0];
    const key = `${client}/${definition.name?.value}`;
    if (names.has(key)) report(source.name, `operation name used again in ${client}`);
    names.set(key, source.name);
  }
}

for (const problem of problems) console.log(JSON.stringify(problem));
process.exit(problems.length ? 1 : 0);
