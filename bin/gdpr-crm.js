#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npx gdpr-crm` works without a build step.
const path = require('node:path');
const { register } = require('tsx/cjs/api');
register();
require(path.join(__dirname, '..', 'src', 'cli', 'main.ts'));
