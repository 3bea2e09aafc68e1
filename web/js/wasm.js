// Loading the analysis module (wasm) and calling it. Rust errors arrive as
// JavaScript Errors with the analysis crate's one-line message. A Rust panic
// (there should be none) is routed to the page by the panic hook installed in
// `init()`; the instance is then discarded and a fresh one is loaded for the
// next call, so one bad file never leaves the tab stuck.

let mod = null;
let generation = 0;
let lastPanic = null;

globalThis.__pywebbenchPanic = (message) => {
  lastPanic = String(message);
};

async function load() {
  generation += 1;
  // A new URL gives a new module instance (and a new wasm memory) after a panic.
  const url = new URL(`../pkg/web.js${generation > 1 ? `?instance=${generation}` : ''}`, import.meta.url);
  const m = await import(url.href);
  await m.default({ module_or_path: new URL('../pkg/web_bg.wasm', import.meta.url) });
  m.init();
  mod = m;
  return m;
}

/** Load the module once; resolves to the module's exports. */
export async function ready() {
  return mod || load();
}

/**
 * Call an exported function. Throws an Error whose message is fit for the page.
 */
export async function call(name, ...args) {
  const m = await ready();
  if (typeof m[name] !== 'function') throw new Error(`the analysis module has no function ${name}; rebuild the site (just web)`);
  lastPanic = null;
  try {
    return m[name](...args);
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || lastPanic) {
      const message = lastPanic || `internal error in the analysis module (please report it): ${e.message}`;
      mod = null; // poisoned: the next call loads a fresh instance
      throw new Error(message);
    }
    throw e instanceof Error ? e : new Error(String(e));
  }
}
