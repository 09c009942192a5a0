#!/usr/bin/env node
// Committed so that installing the workspace links a file that exists before the build.
await import("../dist/cli.js");
