'use strict';
// @ts-check
const { defineConfig } = require('@playwright/test');

// The E2E specs drive the proxy in-process and over loopback HTTP only:
// no `page`/browser fixtures, so no browser download is needed.
module.exports = defineConfig({
  testDir: './test-app/tests',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: true,
  // Next to the report: attachment paths in the junit XML are relative to its folder.
  outputDir: 'reports/playwright-results',
  reporter: [['list'], ['junit', { outputFile: 'reports/playwright-junit.xml' }]],
});
