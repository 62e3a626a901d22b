#!/usr/bin/env node
// The `fortress` bin: loads the TypeScript sources through tsx (no build step), then runs the CLI.
"use strict";
// AWS SDK v3 warns on every run under Node 20 about a future Node 22 requirement; the operator's
// terminal is for the recovery, so that one advisory is dropped (every other warning stays).
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
    const type = typeof rest[0] === "string" ? rest[0] : rest[0] && rest[0].type;
    const text = typeof warning === "string" ? warning : warning && `${warning.name}: ${warning.message}`;
    if (type === "NodeVersionSupportWarning" || /NodeVersionSupportWarning/.test(String(text))) return;
    return emitWarning.call(process, warning, ...rest);
};
// A closed pipe (`fortress status | head`) ends the output, not the process with a stack trace.
process.stdout.on("error", (e) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw e;
});
require("tsx/cjs");
require("../main.ts")
    .main(process.argv)
    .then((code) => process.exit(code));
