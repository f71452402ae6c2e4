#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm install` (prepare) and `npm start` (prestart).
import '../dist/src/cli/main.js';
