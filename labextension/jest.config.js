// jest for the pure TypeScript parts (format, table model, runs model, API
// client) and the run table over jsdom. The browser tests are in ui-tests/.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  }
};
