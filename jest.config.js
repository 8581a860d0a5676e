/**
 * Test suites: unit (no services), integration (real PostgreSQL), cluster (real NATS, several
 * processes), web (the web app's modules and components in jsdom), e2e (the built web app in
 * Debian's Chromium against a real platform).
 */
const base = {
  testEnvironment: "node",
  transform: {
    "^.+\\.ts$": "ts-jest",
    // jose 6 ships ES modules only. Node 24 loads them with require(); jest's module system does
    // that only under --experimental-vm-modules, so here they are compiled to CommonJS instead.
    "/node_modules/jose/.+\\.js$": ["ts-jest", { tsconfig: { allowJs: true, module: "commonjs", target: "ES2022" } }],
  },
  transformIgnorePatterns: ["/node_modules/(?!jose/)"],
  moduleFileExtensions: ["ts", "js", "json"],
};
module.exports = {
  projects: [
    { ...base, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    { ...base, displayName: "integration", testMatch: ["<rootDir>/test/integration/**/*.test.ts"] },
    { ...base, displayName: "cluster", testMatch: ["<rootDir>/test/cluster/**/*.test.ts"] },
    {
      displayName: "web",
      testEnvironment: "jsdom",
      testMatch: ["<rootDir>/test/web/**/*.test.{ts,tsx}"],
      // web/ is an ES module app typed by web/tsconfig.json (npm run typecheck); here it is only transpiled
      transform: { "^.+\\.[tj]sx?$": ["ts-jest", { tsconfig: "<rootDir>/test/web/tsconfig.json" }] },
      // rjsf's schema merging library ships ES modules only
      transformIgnorePatterns: ["/node_modules/(?!@x0k/)"],
      moduleFileExtensions: ["tsx", "ts", "js", "json"],
      moduleNameMapper: { "\\.css$": "<rootDir>/test/web/style-stub.js" },
      setupFiles: ["<rootDir>/test/web/setup.ts"],
    },
    { ...base, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
  ],
  // One PostgreSQL for the run (see test/support/global-setup.ts); top level, so it starts once.
  transform: base.transform,
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testTimeout: 60000,
};
