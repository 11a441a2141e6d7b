// Vite build of the Hexs app. The chain registry and the indexer's URL are runtime config
// (`config.json` next to index.html), never compiled in: `HEXS_APP_CONFIG=path/to/config.json`
// copies one into the build (and serves it in `vite dev`); a deployment may also drop its own.
import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

/** @returns {import("vite").Plugin} */
function runtimeConfig() {
  const file = process.env.HEXS_APP_CONFIG;
  return {
    name: "hexs-runtime-config",
    configureServer(server) {
      server.middlewares.use("/config.json", (_req, res) => {
        if (!file) {
          res.statusCode = 404;
          res.end("HEXS_APP_CONFIG is not set");
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(fs.readFileSync(file));
      });
    },
    generateBundle() {
      if (file) this.emitFile({ type: "asset", fileName: "config.json", source: fs.readFileSync(file, "utf8") });
    },
  };
}

/**
 * The SDK's typechain factories carry every contract's creation bytecode (about 400 KB of hex in
 * the first script, most of its gzip size); the app only connects to deployed contracts, never
 * deploys one. The bytecode is replaced by a marker that is not hex, so a deploy attempted from
 * the app would fail loudly (ethers rejects it as an invalid BytesLike) instead of deploying nothing.
 * @returns {import("vite").Plugin}
 */
function stripDeployBytecode() {
  return {
    name: "hexs-strip-deploy-bytecode",
    enforce: "pre",
    transform(code, id) {
      if (!id.includes("/sdk/typechain/factories/")) return null;
      const out = code.replace(/const _bytecode =\s*"0x[0-9a-fA-F]*";/, 'const _bytecode = "0x-bytecode-not-in-the-app-bundle";');
      return out === code ? null : { code: out, map: null };
    },
  };
}

export default defineConfig({
  plugins: [react(), runtimeConfig(), stripDeployBytecode()],
  // The SDK lives in ../sdk and imports ethers: one copy, the app's.
  resolve: { dedupe: ["ethers"] },
  server: { fs: { allow: [path.resolve(import.meta.dirname, "..")] } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 2000 },
});
