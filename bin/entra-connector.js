#!/usr/bin/env node
// The package bin stays plain JS so `npm link`/`npx` work; it hands over to the TypeScript entry,
// which Node 24 runs directly (type stripping).
import "../src/cli/main.ts";
