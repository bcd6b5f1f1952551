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
    ['jest-junit', { outputDirectory: 'reports', outputName: 'jest-junit.xml', addFileAttribute: 'true' }],
  ],
};
