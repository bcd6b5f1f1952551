'use strict';
// jest-junit's testCasePropertiesFile: called with each test's result. Names the trace file the
// test wrote (tests/trace.js) in an `attachment` property, which qualify reads as the test's
// trace, and adds the properties the test recorded.
const fs = require('node:fs');
const path = require('node:path');
const { OUTPUT_DIR, traceFile } = require('./tests/trace');

module.exports = (testResult) => {
  const base = traceFile(testResult.fullName);
  const recorded = path.join(OUTPUT_DIR, `${base}.json`);
  const properties = fs.existsSync(recorded) ? JSON.parse(fs.readFileSync(recorded, 'utf8')) : {};
  if (fs.existsSync(path.join(OUTPUT_DIR, `${base}.log`))) properties.attachment = `${base}.log`;
  return properties;
};
