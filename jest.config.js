/** Test suites: unit (no services), integration (real PostgreSQL), cluster (real NATS, several processes). */
const base = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": "ts-jest" },
  moduleFileExtensions: ["ts", "js", "json"],
};
module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...base, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
    { ...base, displayName: "cluster", testMatch: ["<rootDir>/test/cluster/**/*.test.ts"] },
  ],
  // One PostgreSQL for the run (see test/support/global-setup.ts); top level, so it starts once.
  transform: base.transform,
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testTimeout: 60000,
};
