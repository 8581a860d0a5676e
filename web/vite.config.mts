import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The web app's build: web/index.html → web/dist (or WEB_OUT_DIR, which core/gateway/web-build.ts
 * uses to build beside the served folder and swap it in whole). JSX is compiled by Vite's own
 * transformer with the automatic runtime (web/tsconfig.json says "jsx": "react-jsx"); see
 * web/README.md for why there is no @vitejs/plugin-react.
 */
const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  base: "/",
  // web/public is the page the gateway serves while nothing is built, not a folder of assets.
  publicDir: false,
  oxc: { jsx: { runtime: "automatic" } },
  // `npm run dev:web`: the app with hot reload on :5173, the API and sockets of `npm start` behind it
  server: {
    proxy: {
      "/api": `http://localhost:${process.env.PORT || 3000}`,
      "/socket.io": { target: `http://localhost:${process.env.PORT || 3000}`, ws: true },
    },
  },
  build: {
    outDir: process.env.WEB_OUT_DIR || "dist",
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      // rjsf marks its hooks "use client" (for React server components, which this app does not use).
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
