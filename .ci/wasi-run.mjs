// Runs a WASI (preview1) module under Node's built-in `node:wasi`, as a
// cargo runner: `node wasi-run.mjs module.wasm [args...]`. The current
// directory is preopened as `.`, the environment is passed through, and the
// process exits with the module's exit code.
import { readFile } from "node:fs/promises";
import { WASI } from "node:wasi";
import process from "node:process";

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error("usage: node wasi-run.mjs module.wasm [args...]");
  process.exit(2);
}
const wasi = new WASI({
  version: "preview1",
  args: [file, ...args],
  env: process.env,
  preopens: { ".": process.cwd() },
  returnOnExit: true,
});
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
let code;
try {
  code = wasi.start(instance);
} catch (e) {
  // A trap: a Rust panic aborts (wasm32-wasip1 is panic=abort), which is
  // `unreachable`. Report it as SIGABRT would be.
  const why = e instanceof WebAssembly.RuntimeError ? `trap: ${e.message}` : e && e.stack ? e.stack : e;
  console.error(`wasi-run: ${file}: ${why}`);
  code = 134;
}
process.exit(code);
