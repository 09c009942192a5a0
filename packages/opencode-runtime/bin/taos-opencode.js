#!/usr/bin/env node
// The command itself is built into dist/. This file is committed, so the package manager
// can link the command in a fresh clone before anything is built.
await import("../dist/cli.js");
