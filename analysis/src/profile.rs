//! Profiles of the server's Python processes (`run --profile`): one file of collapsed
//! stacks per stack × scenario of the profiled repetition (`profiles/<stack>/<scenario>.txt`,
//! `data/README.md`), parsed, merged into a call tree, and its samples shared out over
//! the layers of a web stack (framework, ORM/serializer, SQLite, JSON, server, IO wait).
//! Pure: text in, values out (the runner reads the files, the viewer gets them as bytes).
//! Drawn by [`crate::figures::flame_svg`].

use serde::{Deserialize, Serialize};

use crate::format;
use crate::table::{Align, Table};

/// A layer of a web stack a frame belongs to, by its module path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layer {
    Framework,
    Orm,
    Sqlite,
    Json,
    Server,
    IoWait,
    Other,
}

impl Layer {
    pub const ALL: [Layer; 7] = [
        Layer::Framework,
        Layer::Orm,
        Layer::Sqlite,
        Layer::Json,
        Layer::Server,
        Layer::IoWait,
        Layer::Other,
    ];

    /// The layer in the legend and the tables.
    pub fn label(self) -> &'static str {
        match self {
            Layer::Framework => "Framework",
            Layer::Orm => "ORM / serializer",
            Layer::Sqlite => "SQLite",
            Layer::Json => "JSON encoding",
            Layer::Server => "Gunicorn / Uvicorn / Granian",
            Layer::IoWait => "Kernel / IO wait",
            Layer::Other => "Application and other",
        }
    }

    /// What the layer holds, for the table's notes.
    pub fn modules(self) -> &'static str {
        match self {
            Layer::Framework => {
                "fastapi, starlette, anyio, flask, werkzeug, django, rest_framework, ninja, falcon, litestar"
            }
            Layer::Orm => {
                "sqlalchemy, sqlmodel, pydantic, msgspec, django.db, DRF serializers and fields"
            }
            Layer::Sqlite => {
                "sqlite3, aiosqlite, Django's sqlite3 backend, and a leaf frame waiting in a cursor call (execute, fetch…, commit)"
            }
            Layer::Json => "json, orjson, ujson, simplejson",
            Layer::Server => "gunicorn, uvicorn, granian, h11, httptools, uvloop",
            Layer::IoWait => {
                "a leaf frame in asyncio, selectors, socket, ssl, threading or queue (waiting)"
            }
            Layer::Other => {
                "the application's own code, the standard library, the sampler's process and thread frames"
            }
        }
    }

    /// The fill of the layer's frames: Paul Tol's colour-blind-safe "light" scheme
    /// (dark text stays readable on every one).
    pub fn colour(self) -> &'static str {
        match self {
            Layer::Framework => "#77AADD",
            Layer::Orm => "#EE8866",
            Layer::Sqlite => "#EEDD88",
            Layer::Json => "#FFAABB",
            Layer::Server => "#99DDFF",
            Layer::IoWait => "#BBCC33",
            Layer::Other => "#DDDDDD",
        }
    }
}

/// Module path prefixes (package-relative, `/`-separated, no `.py`) and their layer;
/// the longest matching prefix wins.
const MODULES: &[(&str, Layer)] = &[
    ("rest_framework/serializers", Layer::Orm),
    ("rest_framework/fields", Layer::Orm),
    ("rest_framework/relations", Layer::Orm),
    ("rest_framework", Layer::Framework),
    ("django/db/backends/sqlite3", Layer::Sqlite),
    ("django/db", Layer::Orm),
    ("django", Layer::Framework),
    ("ninja", Layer::Framework),
    ("fastapi", Layer::Framework),
    ("starlette", Layer::Framework),
    ("anyio", Layer::Framework),
    ("flask", Layer::Framework),
    ("werkzeug", Layer::Framework),
    ("falcon", Layer::Framework),
    ("litestar", Layer::Framework),
    ("sqlalchemy", Layer::Orm),
    ("sqlmodel", Layer::Orm),
    ("pydantic", Layer::Orm),
    ("pydantic_core", Layer::Orm),
    ("msgspec", Layer::Orm),
    ("sqlite3", Layer::Sqlite),
    ("aiosqlite", Layer::Sqlite),
    ("json", Layer::Json),
    ("orjson", Layer::Json),
    ("ujson", Layer::Json),
    ("simplejson", Layer::Json),
    ("gunicorn", Layer::Server),
    ("uvicorn", Layer::Server),
    ("granian", Layer::Server),
    ("h11", Layer::Server),
    ("httptools", Layer::Server),
    ("uvloop", Layer::Server),
    ("asyncio", Layer::IoWait),
    ("selectors", Layer::IoWait),
    ("socket", Layer::IoWait),
    ("ssl", Layer::IoWait),
    ("threading", Layer::IoWait),
    ("queue", Layer::IoWait),
];

/// Functions of a DB-API cursor or connection (C code inside `_sqlite3`, unseen
/// without native stacks): a leaf frame in one of them is waiting on SQLite.
const SQLITE_CALLS: &[&str] = &[
    "execute",
    "executemany",
    "executescript",
    "fetchone",
    "fetchall",
    "fetchmany",
    "commit",
    "rollback",
    "do_execute",
    "do_executemany",
    "do_commit",
    "do_rollback",
];

/// A frame as py-spy writes it, `function (path/to/module.py:line)`: its function
/// and its module path relative to its package root (`fastapi/routing`), if it has one.
pub fn frame_parts(frame: &str) -> (&str, Option<String>) {
    let Some(open) = frame.rfind(" (") else {
        return (frame, None);
    };
    let function = &frame[..open];
    let inner = frame[open + 2..].trim_end_matches(')');
    let path = match inner.rsplit_once(':') {
        Some((p, line)) if line.chars().all(|c| c.is_ascii_digit()) => p,
        _ => inner,
    };
    (function, Some(module_of(path)))
}

/// `…/site-packages/fastapi/routing.py` → `fastapi/routing`; `/usr/lib/python3.11/json/
/// encoder.py` → `json/encoder`; a short name (`socket.py`) → `socket`.
fn module_of(path: &str) -> String {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let root = parts
        .iter()
        .rposition(|p| {
            *p == "site-packages"
                || *p == "dist-packages"
                || (p.starts_with("python3") && !p.ends_with(".py"))
        })
        .map_or(0, |i| i + 1);
    let rel = parts[root..].join("/");
    rel.strip_suffix(".py").unwrap_or(&rel).to_string()
}

/// The layer of a module path by [`MODULES`] (longest prefix), `Other` when none.
pub fn layer_of_module(module: &str) -> Layer {
    MODULES
        .iter()
        .filter(|(prefix, _)| {
            module == *prefix
                || (module.starts_with(prefix)
                    && module.as_bytes().get(prefix.len()) == Some(&b'/'))
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map_or(Layer::Other, |(_, layer)| *layer)
}

/// The layer a frame's own module belongs to (the flame graph's colour).
pub fn layer_of_frame(frame: &str) -> Layer {
    match frame_parts(frame) {
        (_, Some(module)) => layer_of_module(&module),
        (_, None) => Layer::Other,
    }
}

/// The layer a sample is charged to: walking from the leaf towards the root, the
/// first frame of a known layer; IO wait only when the leaf itself waits (an event
/// loop or a thread's `run` is the root of every sample), and a leaf in a cursor call
/// is SQLite (its C code has no Python frame).
pub fn layer_of_stack(frames: &[String]) -> Layer {
    for (i, frame) in frames.iter().rev().enumerate() {
        let leaf = i == 0;
        let (function, module) = frame_parts(frame);
        let Some(module) = module else { continue };
        // py-spy names methods by qualified name: `DefaultDialect.do_execute`.
        let method = function.rsplit('.').next().unwrap_or(function);
        if leaf && SQLITE_CALLS.contains(&method) {
            return Layer::Sqlite;
        }
        match layer_of_module(&module) {
            Layer::Other => {}
            Layer::IoWait if !leaf => {}
            layer => return layer,
        }
    }
    Layer::Other
}

/// One profile: every distinct stack (root first) and its sample count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub stacks: Vec<(Vec<String>, u64)>,
    pub total: u64,
}

/// Why a profile file could not be read.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProfileError {
    #[error(
        "line {line} of the profile is not `frame;frame;… count` ({text:?}); pass the collapsed stacks `run --profile` wrote (py-spy --format raw)"
    )]
    BadLine { line: usize, text: String },
}

/// Parse collapsed stacks (Brendan Gregg's format, py-spy's `--format raw`): one line
/// per distinct stack, frames root first separated by `;`, then a space and the count.
/// Blank lines are skipped; equal stacks are added up.
pub fn parse_collapsed(text: &str) -> Result<Profile, ProfileError> {
    let mut merged: std::collections::BTreeMap<Vec<String>, u64> = Default::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            continue;
        }
        let bad = || ProfileError::BadLine {
            line: i + 1,
            text: line.chars().take(80).collect(),
        };
        let (stack, count) = line.rsplit_once(' ').ok_or_else(bad)?;
        let count: u64 = count.parse().map_err(|_| bad())?;
        if stack.is_empty() {
            return Err(bad());
        }
        let frames: Vec<String> = stack.split(';').map(str::to_string).collect();
        *merged.entry(frames).or_default() += count;
    }
    let stacks: Vec<(Vec<String>, u64)> = merged.into_iter().collect();
    let total = stacks.iter().map(|(_, c)| c).sum();
    Ok(Profile { stacks, total })
}

/// A layer's share of a profile's samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerShare {
    pub layer: Layer,
    pub samples: u64,
    pub share: f64,
}

/// A leaf frame's own samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopFrame {
    pub frame: String,
    pub layer: Layer,
    pub samples: u64,
    pub share: f64,
}

impl Profile {
    /// Every layer's samples (in [`Layer::ALL`]'s order, zeros included).
    pub fn layer_shares(&self) -> Vec<LayerShare> {
        let mut counts = [0u64; Layer::ALL.len()];
        for (frames, c) in &self.stacks {
            let layer = layer_of_stack(frames);
            counts[Layer::ALL.iter().position(|l| *l == layer).unwrap_or(6)] += c;
        }
        Layer::ALL
            .iter()
            .zip(counts)
            .map(|(&layer, samples)| LayerShare {
                layer,
                samples,
                share: share(samples, self.total),
            })
            .collect()
    }

    /// The `n` leaf frames with the most samples (their self time), most first.
    pub fn top_frames(&self, n: usize) -> Vec<TopFrame> {
        let mut by_frame: std::collections::HashMap<&str, u64> = Default::default();
        for (frames, c) in &self.stacks {
            if let Some(leaf) = frames.last() {
                *by_frame.entry(leaf.as_str()).or_default() += c;
            }
        }
        let mut top: Vec<(&str, u64)> = by_frame.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.into_iter()
            .take(n)
            .map(|(frame, samples)| TopFrame {
                frame: frame.to_string(),
                layer: layer_of_frame(frame),
                samples,
                share: share(samples, self.total),
            })
            .collect()
    }

    /// The layers' shares as a table (layer, samples, share).
    pub fn layer_table(&self) -> Table {
        let rows = self
            .layer_shares()
            .into_iter()
            .map(|s| {
                vec![
                    s.layer.label().to_string(),
                    format::count(s.samples),
                    format::share(Some(s.share)),
                    s.layer.modules().to_string(),
                ]
            })
            .collect();
        Table::new(["Layer", "Samples", "Share", "Modules"])
            .with_rows(rows)
            .with_align(vec![Align::Left, Align::Right, Align::Right, Align::Left])
    }

    /// The top `n` leaf frames as a table (frame, layer, samples, share).
    pub fn top_frames_table(&self, n: usize) -> Table {
        let rows = self
            .top_frames(n)
            .into_iter()
            .map(|t| {
                vec![
                    t.frame,
                    t.layer.label().to_string(),
                    format::count(t.samples),
                    format::share(Some(t.share)),
                ]
            })
            .collect();
        Table::new(["Frame (self)", "Layer", "Samples", "Share"])
            .with_rows(rows)
            .with_align(vec![Align::Left, Align::Left, Align::Right, Align::Right])
    }
}

/// `part` of `total` as a fraction (0 when there is no total).
pub(crate) fn share(part: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        part as f64 / total as f64
    }
}

/// One stack × scenario's profile, as a report or the viewer holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct CellProfile {
    pub stack: String,
    pub scenario: String,
    pub profile: Profile,
}

/// A node of the merged call tree: a frame, its samples (its own and its callees'),
/// its callees in name order.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub frame: String,
    pub samples: u64,
    pub children: Vec<Node>,
}

impl Profile {
    /// The stacks merged into one tree under a root named `all`.
    pub fn tree(&self) -> Node {
        let mut root = Node {
            frame: "all".into(),
            samples: 0,
            children: Vec::new(),
        };
        for (frames, c) in &self.stacks {
            root.samples += c;
            let mut node = &mut root;
            for f in frames {
                let i = match node.children.binary_search_by(|n| n.frame.as_str().cmp(f)) {
                    Ok(i) => i,
                    Err(i) => {
                        node.children.insert(
                            i,
                            Node {
                                frame: f.clone(),
                                samples: 0,
                                children: Vec::new(),
                            },
                        );
                        i
                    }
                };
                node = &mut node.children[i];
                node.samples += c;
            }
        }
        root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
process 7:\"gunicorn\";run (gunicorn/arbiter.py:20);handle (gunicorn/workers/sync.py:130);wsgi_app (flask/app.py:1500);get_items (main.py:40);execute (sqlalchemy/engine/base.py:1400);do_execute (sqlalchemy/engine/default.py:920) 6
process 7:\"gunicorn\";run (gunicorn/arbiter.py:20);handle (gunicorn/workers/sync.py:130);wsgi_app (flask/app.py:1500);get_items (main.py:40);dumps (json/__init__.py:231);iterencode (json/encoder.py:258) 3
process 7:\"gunicorn\";run (gunicorn/arbiter.py:20);accept (socket.py:293) 1

process 7:\"gunicorn\";run (gunicorn/arbiter.py:20);handle (gunicorn/workers/sync.py:130);wsgi_app (flask/app.py:1500);get_items (main.py:40);dumps (json/__init__.py:231);iterencode (json/encoder.py:258) 2
";

    #[test]
    fn parses_collapsed_stacks_and_merges_equal_ones() {
        let p = parse_collapsed(SAMPLE).expect("parses");
        assert_eq!(p.total, 12);
        assert_eq!(p.stacks.len(), 3);
        let json = p
            .stacks
            .iter()
            .find(|(f, _)| f.last().is_some_and(|l| l.starts_with("iterencode")))
            .expect("json stack");
        assert_eq!(json.1, 5);
        assert_eq!(json.0.len(), 7);
    }

    #[test]
    fn a_line_without_a_count_is_refused_with_its_number() {
        let err = parse_collapsed("a;b 3\na;b;c\n").expect_err("bad");
        assert_eq!(
            err,
            ProfileError::BadLine {
                line: 2,
                text: "a;b;c".into()
            }
        );
        assert!(err.to_string().contains("--format raw"), "{err}");
        assert!(parse_collapsed(" 3\n").is_err());
    }

    #[test]
    fn modules_are_found_in_full_and_short_paths() {
        assert_eq!(
            frame_parts("solve (/usr/local/lib/python3.11/site-packages/fastapi/routing.py:301)"),
            ("solve", Some("fastapi/routing".to_string()))
        );
        assert_eq!(
            frame_parts("iterencode (/usr/local/lib/python3.11/json/encoder.py:258)").1,
            Some("json/encoder".to_string())
        );
        assert_eq!(
            frame_parts("accept (socket.py:293)").1,
            Some("socket".into())
        );
        assert_eq!(frame_parts("process 7:\"gunicorn: worker\"").1, None);
    }

    #[test]
    fn layers_follow_the_longest_module_prefix() {
        assert_eq!(layer_of_module("rest_framework/serializers"), Layer::Orm);
        assert_eq!(layer_of_module("rest_framework/views"), Layer::Framework);
        assert_eq!(layer_of_module("django/db/models/query"), Layer::Orm);
        assert_eq!(
            layer_of_module("django/db/backends/sqlite3/base"),
            Layer::Sqlite
        );
        assert_eq!(
            layer_of_module("django/core/handlers/wsgi"),
            Layer::Framework
        );
        assert_eq!(layer_of_module("pydantic_core/core_schema"), Layer::Orm);
        assert_eq!(layer_of_module("jsonschema/validators"), Layer::Other);
        assert_eq!(
            layer_of_module("uvicorn/protocols/http/h11_impl"),
            Layer::Server
        );
        assert_eq!(layer_of_module("main"), Layer::Other);
    }

    #[test]
    fn a_sample_goes_to_the_nearest_known_layer_from_its_leaf() {
        let p = parse_collapsed(SAMPLE).expect("parses");
        let shares = p.layer_shares();
        let of = |l: Layer| shares.iter().find(|s| s.layer == l).expect("layer").samples;
        // do_execute is a cursor call: SQLite, not SQLAlchemy.
        assert_eq!(of(Layer::Sqlite), 6);
        assert_eq!(of(Layer::Json), 5);
        // The leaf waits in socket.accept.
        assert_eq!(of(Layer::IoWait), 1);
        assert_eq!(of(Layer::Framework), 0);
        assert_eq!(shares.iter().map(|s| s.samples).sum::<u64>(), p.total);
        assert!((shares.iter().map(|s| s.share).sum::<f64>() - 1.0).abs() < 1e-12);
        // IO frames above the leaf do not count as waiting: app code under an event loop.
        let frames: Vec<String> = [
            "run_forever (asyncio/base_events.py:600)",
            "get (main.py:3)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(layer_of_stack(&frames), Layer::Other);
        let dialect =
            vec!["DefaultDialect.do_execute (sqlalchemy/engine/default.py:9)".to_string()];
        assert_eq!(layer_of_stack(&dialect), Layer::Sqlite);
    }

    #[test]
    fn top_frames_are_leaves_by_samples() {
        let p = parse_collapsed(SAMPLE).expect("parses");
        let top = p.top_frames(2);
        assert_eq!(top[0].samples, 6);
        assert!(top[0].frame.starts_with("do_execute"));
        assert_eq!(top[0].layer, Layer::Orm);
        assert_eq!(top[1].samples, 5);
        assert_eq!(p.layer_table().rows.len(), Layer::ALL.len());
    }

    #[test]
    fn the_tree_adds_up() {
        let p = parse_collapsed(SAMPLE).expect("parses");
        let root = p.tree();
        assert_eq!(root.samples, 12);
        assert_eq!(root.children.len(), 1);
        let run = &root.children[0].children[0];
        assert_eq!(run.samples, 12);
        assert_eq!(run.children.iter().map(|c| c.samples).sum::<u64>(), 12);
    }
}
