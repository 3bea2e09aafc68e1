// Loading the analysis module (wasm) and calling it. Rust errors arrive as
// JavaScript Errors with the analysis crate's one-line message. A Rust panic
// (there should be none) is routed to the page by the panic hook installed in
// `init()`; the instance is then discarded and a fresh one is loaded for the
// next call, so one bad file never leaves the tab stuck.
//
// A loaded run lives in the module as a `Run` (its summary parsed once); the page
// holds it through a `RunRef`, which makes the `Run` again from its summary.json
// when the module was replaced after a panic.

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

/** Run `f` against the module; a panic poisons the instance. Throws an Error fit for the page. */
function guarded(f) {
  lastPanic = null;
  try {
    return f();
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError || lastPanic) {
      const message = lastPanic || `internal error in the analysis module (please report it): ${e.message}`;
      mod = null; // poisoned: the next call loads a fresh instance
      throw new Error(message);
    }
    throw e instanceof Error ? e : new Error(String(e));
  }
}

/** Call an exported function (one without state: init, schema_version, metric_choices, …). */
export async function call(name, ...args) {
  const m = await ready();
  if (typeof m[name] !== 'function') throw new Error(`the analysis module has no function ${name}; rebuild the site (just web)`);
  return guarded(() => m[name](...args));
}

/** A run held by the module: `await RunRef.create('from_summary', bytes)` (or 'paper', 'analyze'). */
export class RunRef {
  constructor(run, m) {
    this.run = run;
    this.module = m;
    /** A capacity sweep's sweep.json bytes, attached again after a panic. */
    this.sweep = null;
    // summary.json: the page's raw fields, the download, and the `Run` again after a panic.
    this.json = guarded(() => run.summary_json());
  }

  static async create(constructor, ...args) {
    const m = await ready();
    return new RunRef(guarded(() => m.Run[constructor](...args)), m);
  }

  /** The `Run` in the current module instance (made again from summary.json after a panic). */
  async current() {
    const m = await ready();
    if (this.module !== m) {
      this.run = guarded(() => m.Run.from_summary(new TextEncoder().encode(this.json)));
      if (this.sweep) guarded(() => this.run.set_sweep(this.sweep));
      this.module = m;
    }
    return this.run;
  }

  /** Attach the run's sweep.json (a capacity sweep); throws on one of another run. */
  async setSweep(bytes) {
    const run = await this.current();
    guarded(() => run.set_sweep(bytes));
    this.sweep = bytes;
  }

  /** Call a method of the run; `Run` arguments are passed as RunRefs. */
  async call(name, ...args) {
    const run = await this.current();
    const plain = [];
    for (const a of args) plain.push(a instanceof RunRef ? await a.current() : a);
    return guarded(() => run[name](...plain));
  }
}
