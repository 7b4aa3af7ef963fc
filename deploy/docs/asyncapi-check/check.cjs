// Parses and validates AsyncAPI documents with @asyncapi/parser (the parser AsyncAPI's own
// tools use): `node check.cjs MODULES_DIR FILE...`, MODULES_DIR being where `make tools`
// installed it (.local/asyncapi). Prints each finding as JSON, one a line; exits 1 when
// any document has an error (severity 0), 0 otherwise. Warnings are printed, not fatal.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) {
    console.error("usage: node check.cjs MODULES_DIR FILE...");
    process.exit(2);
  }
  const { Parser } = require(require.resolve("@asyncapi/parser", { paths: [path.resolve(modules)] }));
  const parser = new Parser();
  let failed = false;
  for (const file of files) {
    const { document, diagnostics } = await parser.parse(fs.readFileSync(file, "utf8"), {
      source: path.resolve(file),
    });
    for (const d of diagnostics) {
      console.log(JSON.stringify({ file, severity: d.severity, code: d.code, message: d.message, path: d.path }));
    }
    if (document === undefined || diagnostics.some((d) => d.severity === 0)) {
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
