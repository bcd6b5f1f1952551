'use strict';
// qualify reads a test's trace to check the partner's flow and the mock drift. jest-junit writes
// no per-test output, so a test writes its trace to a file named after it, and
// jest-junit-properties.js (jest-junit's `testCasePropertiesFile`) names that file in the
// testcase's `attachment` property, relative to the XML's folder; properties the test records
// (e.g. which upstream it talked to, for `evidence:`) become testcase properties too.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

// Where jest-junit writes the XML: JEST_JUNIT_OUTPUT_DIR (CI) wins over jest.config.js, as in jest-junit.
const OUTPUT_DIR = path.resolve(__dirname, '..', process.env.JEST_JUNIT_OUTPUT_DIR || 'reports');

/** The trace file of a test, by its full name (describe titles and title, joined by spaces). */
function traceFile(fullName) {
  return `traces/${crypto.createHash('sha1').update(fullName).digest('hex').slice(0, 12)}`;
}

/** From inside a test: write its trace (one line per event, in order) and properties to record. */
function recordTrace(lines, properties = {}) {
  const base = path.join(OUTPUT_DIR, traceFile(expect.getState().currentTestName));
  fs.mkdirSync(path.dirname(base), { recursive: true });
  fs.writeFileSync(`${base}.log`, `${lines.join('\n')}\n`);
  if (Object.keys(properties).length) fs.writeFileSync(`${base}.json`, JSON.stringify(properties));
}

module.exports = { OUTPUT_DIR, traceFile, recordTrace };
