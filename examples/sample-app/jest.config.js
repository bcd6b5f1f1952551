'use strict';
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.js'],
  reporters: [
    'default',
    // Everything not set here is a jest-junit default
    // (classNameTemplate/titleTemplate "{classname} {title}", suiteNameTemplate "{title}").
    // testCasePropertiesFile: each test's trace file as an `attachment` property (tests/trace.js).
    ['jest-junit', {
      outputDirectory: 'reports',
      outputName: 'jest-junit.xml',
      addFileAttribute: 'true',
      testCasePropertiesFile: 'jest-junit-properties.js',
      testCasePropertiesDirectory: '<rootDir>',
    }],
  ],
};
