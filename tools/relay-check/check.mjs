// Compiles the client documents with Relay's compiler, as a team using Relay would: each
// client folder (storefront, mobile, agency) is one Relay project, each document one module
// whose graphql`...` template literal holds the document's text as it is, comments included.
// Relay wants an operation named after its module and ending in its kind (`MeQuery` in
// Me.js) and fragments prefixed with the module (`Me_points`): only those names are changed.
//
//   node check.mjs <schema.graphql> <operations folder>
//
// Prints the compiler's report of each client that fails, and each document the compiler
// made no artifact for (it drops a template literal it cannot read, without an error), and
// exits 1 when there is any.
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Kind, parse, visit } from "graphql";

const [schemaPath, folder] = process.argv.slice(2);
if (!schemaPath || !folder) {
  console.error("usage: node check.mjs <schema.graphql> <operations folder>");
  process.exit(2);
}
const relay = join(
  createRequire(import.meta.url).resolve("relay-compiler/package.json"),
  "..",
  "cli.js",
);
const SUFFIX = { query: "Query", mutation: "Mutation", subscription: "Subscription" };

// The names Relay requires, spliced into the text at their places (so nothing else moves),
// and the operations Relay must make an artifact for.
function relayNamed(text, module) {
  let document;
  try {
    document = parse(text);
  } catch {
    return { text, operations: [] }; // the compiler reports it
  }
  const edits = [];
  const operations = [];
  const fragment = (name) => `${module}_${name}`;
  visit(document, {
    OperationDefinition(node) {
      const name = `${module}${SUFFIX[node.operation]}`;
      if (node.name) edits.push([node.name.loc, name]);
      operations.push(name);
    },
    FragmentDefinition(node) {
      edits.push([node.name.loc, fragment(node.name.value)]);
    },
    FragmentSpread(node) {
      edits.push([node.name.loc, fragment(node.name.value)]);
    },
  });
  edits.sort((a, b) => b[0].start - a[0].start);
  for (const [loc, name] of edits) text = text.slice(0, loc.start) + name + text.slice(loc.end);
  return { text, operations };
}

function compile(client) {
  const root = mkdtempSync(join(tmpdir(), `relay-${basename(client)}-`));
  try {
    mkdirSync(join(root, "src"));
    copyFileSync(schemaPath, join(root, "schema.graphql"));
    writeFileSync(
      join(root, "relay.config.json"),
      JSON.stringify({ src: "./src", schema: "./schema.graphql", language: "javascript" }),
    );
    const expected = [];
    for (const name of readdirSync(client).sort()) {
      if (!name.endsWith(".graphql")) continue;
      const module = name.slice(0, -".graphql".length);
      const { text, operations } = relayNamed(readFileSync(join(client, name), "utf8"), module);
      for (const operation of operations) expected.push([name, operation]);
      writeFileSync(
        join(root, "src", `${module}.js`),
        `import { graphql } from "react-relay";\n\nexport default graphql\`\n${text}\`;\n`,
      );
    }
    const ran = spawnSync(process.execPath, [relay], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    });
    let output = `${ran.stdout}${ran.stderr}`;
    let code = ran.status;
    if (code === 0) {
      const made = join(root, "src", "__generated__");
      for (const [name, operation] of expected) {
        if (!existsSync(join(made, `${operation}.graphql.js`))) {
          code = 1;
          output += `${name}: no artifact for ${operation}: the compiler dropped the document\n`;
        }
      }
    }
    return { code, output };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

let failed = false;
for (const name of readdirSync(folder).sort()) {
  const client = join(folder, name);
  if (!statSync(client).isDirectory()) continue;
  const { code, output } = compile(client);
  if (code !== 0) {
    failed = true;
    console.log(`== ${name}: relay-compiler exited ${code}\n${output}`);
  }
}
process.exit(failed ? 1 : 0);
