// jest for the pure TypeScript parts (format, downsampling, table model,
// runs model, API client). The browser tests are in ui-tests/ (Galata).
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  }
};
