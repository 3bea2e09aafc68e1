//! The stack registry: what pywebbench knows of each stack under test, from its
//! `stacks/<stack>/stack.toml` (the keys are described in `stacks/README.md`).
//!
//! `analysis/build.rs` finds every `stacks/*/stack.toml`, checks them with this very
//! module (a bad file fails the build with [`RegistryError`]'s one line) and compiles
//! their text in, so [`Registry::builtin`] needs no file I/O (the viewer's wasm32 build
//! has it too). A sixth stack needs its folder and its `stack.toml`, no code edit.
//!
//! This file is also compiled into `build.rs` (`#[path]`), so it uses nothing of the
//! crate but `crate::STACK_FILES` (the compiled-in files; empty in the build script).
//!
//! Why this file is long: each key of `stack.toml` has its check and one-line error here,
//! and each check its test (half the file); build.rs compiles this one file.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// How a stack reaches the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataAccess {
    /// Through an ORM (SQLAlchemy/SQLModel, Django's ORM).
    Orm,
    /// Raw SQL through the DB-API (`sqlite3`).
    Raw,
}

/// What the analysis, the reports and the viewer need to know of a stack; recorded per
/// stack in `manifest.json` and `summary.json` (`stack_info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StackInfo {
    /// Long label for tables, e.g. `FastAPI + SQLAlchemy (SQLModel)`.
    pub label: String,
    /// Short label for figure axes and legends, e.g. `FastAPI+SQLAlchemy`.
    pub short_label: String,
    /// The web framework, e.g. `fastapi`: stacks of one framework differ in data access,
    /// or serve one app with another server or Python (`[image] app_from`; the label says which).
    pub framework: String,
    pub data_access: DataAccess,
    /// For an ORM stack: the raw-SQL stack of the same framework it is compared with
    /// for the ORM overhead; `None` when there is none (and always for a raw stack).
    #[serde(default)]
    pub raw_twin: Option<String>,
}

/// One registered stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stack {
    /// The folder's name under `stacks/`, also the image's (`pywebbench/<name>`).
    pub name: String,
    /// Place in every figure and table (the paper's §3.2 order): ascending.
    pub order: u32,
    pub info: StackInfo,
    /// `[image] app_from`: the stack whose `app/` this stack's image serves (a variant
    /// that differs only in server or Python); `None` when the stack has its own `app/`.
    pub app_from: Option<String>,
    /// `[server]`: the ways the image can serve the app, the image's own first.
    pub servers: Vec<ServerClass>,
}

/// One way a stack's image can serve its app (`[server] command` with its `class`, or
/// one of `[server.classes]`): `pywebbench peak` starts a container with `command` as
/// its `SERVER_COMMAND`, so trying a class needs no image rebuild.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerClass {
    /// e.g. `gthread`, `sync`, `uvicorn-worker`, `uvicorn`.
    pub name: String,
    /// One shell line, `$WORKERS` (and `$THREADS` where [`Self::threads`]) expanded.
    pub command: String,
}

impl ServerClass {
    /// Does the command read `$THREADS` (so the thread count matters)?
    pub fn threads(&self) -> bool {
        self.command.contains("$THREADS") || self.command.contains("${THREADS}")
    }
}

/// An ORM stack and its raw twin (`raw_twin`), compared for the ORM overhead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrmPair {
    pub framework: String,
    pub orm: String,
    pub raw: String,
}

/// A bad `stack.toml`: one line naming the file and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "no stacks/*/stack.toml found; every stack folder needs one (see stacks/README.md, \"The registry\")"
    )]
    NoStacks,
    #[error(
        "{file}: {detail}; fix it (keys: name, order, label, short_label, framework, data_access = \"orm\" | \"raw\", raw_twin, [image] base, locked_at, app_from, [server] command, class, classes; see stacks/README.md)"
    )]
    Parse { file: String, detail: String },
    #[error("{file}: name = {name:?} but the folder is `{folder}`; make them the same")]
    NameNotFolder {
        file: String,
        name: String,
        folder: String,
    },
    #[error(
        "{file}: name {name:?} is not a lower-case Docker name; use letters a-z, digits and `-`"
    )]
    BadName { file: String, name: String },
    #[error("{file}: {key} is empty; give the stack a {key}")]
    Empty { file: String, key: &'static str },
    #[error("{file}: stack {name:?} is registered twice (also in {other}); remove one")]
    Duplicate {
        file: String,
        name: String,
        other: String,
    },
    #[error("{file}: order = {order} is also {other}'s; give each stack its own order")]
    DuplicateOrder {
        file: String,
        order: u32,
        other: String,
    },
    #[error(
        "{file}: raw_twin = {twin:?} is not a registered stack; name a stack of stacks/*/stack.toml or remove raw_twin"
    )]
    TwinUnknown { file: String, twin: String },
    #[error(
        "{file}: raw_twin = {twin:?} is not a raw stack of framework {framework:?}; name the raw-SQL stack (data_access = \"raw\") of the same framework"
    )]
    TwinNotRaw {
        file: String,
        twin: String,
        framework: String,
    },
    #[error(
        "{file}: [image] base = {base:?} is not `<debian suite>-py3<N>`; write e.g. base = \"bookworm-py311\" (the suite's python3 must be 3.N)"
    )]
    BadBase { file: String, base: String },
    #[error(
        "{file}: [image] locked_at = {date:?} is not a date; write the day the lock was made as YYYY-MM-DD, or remove locked_at"
    )]
    BadLockedAt { file: String, date: String },
    #[error(
        "{file}: [server] command is empty; give the server's command line, e.g. command = \"gunicorn --bind 0.0.0.0:8000 --workers $WORKERS --threads $THREADS app:app\""
    )]
    EmptyCommand { file: String },
    #[error(
        "{file}: [server] command is more than one line; write it on one line (the entrypoint runs it with $WORKERS and $THREADS expanded)"
    )]
    MultiLineCommand { file: String },
    #[error(
        "{file}: [server] command does not use $WORKERS; pass it as the server's worker count (e.g. --workers $WORKERS) so the campaign's setting applies"
    )]
    CommandWithoutWorkers { file: String },
    #[error("{file}: [server] class {class:?}: {reason}")]
    BadClass {
        file: String,
        class: String,
        reason: String,
    },
    #[error(
        "{file}: a raw stack has no raw_twin (only ORM stacks name the raw stack they are compared with); remove raw_twin"
    )]
    RawWithTwin { file: String },
    #[error(
        "{file}: [image] app_from = {app:?} is not another registered stack; name the stack whose app/ this image serves, or remove app_from"
    )]
    AppFromUnknown { file: String, app: String },
    #[error(
        "{file}: [image] app_from = {app:?} itself has app_from; name the stack that holds the app/ folder"
    )]
    AppFromChain { file: String, app: String },
    #[error(
        "{file}: [image] app_from = {app:?} has framework/data_access {theirs:?}, this stack {ours:?}; the same app is the same framework and data access"
    )]
    AppFromOtherKind {
        file: String,
        app: String,
        theirs: String,
        ours: String,
    },
}

/// `stack.toml` as written: unknown keys are refused. `[image]` and `[server]` are for
/// `scripts/build-images.sh` (which reads them itself); they are only checked here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StackFile {
    name: String,
    order: u32,
    label: String,
    short_label: String,
    framework: String,
    data_access: DataAccess,
    #[serde(default)]
    raw_twin: Option<String>,
    image: ImageSection,
    server: ServerSection,
}

/// `[image]`: the base image `pywebbench/base:<base>` the stack's image is built `FROM`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageSection {
    /// `<debian suite>-py3<N>`, e.g. `bookworm-py311`: Debian `<suite>`'s `python3`,
    /// which must be Python 3.N (`scripts/build-images.sh` checks it).
    base: String,
    /// The day the stack's `requirements.lock` was resolved as of (`YYYY-MM-DD`).
    #[serde(default)]
    locked_at: Option<String>,
    /// The stack whose `app/` the image serves instead of an `app/` of its own.
    #[serde(default)]
    app_from: Option<String>,
}

/// `[server]`: how the container serves the app.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    /// One shell command line, run by `stacks/common/entrypoint.sh` (`exec`, after the
    /// seed database is copied) with `$WORKERS` and `$THREADS` expanded; it must listen
    /// on 0.0.0.0:8000.
    command: String,
    /// The name of `command`'s worker class (e.g. `gthread`) [default: `default`].
    #[serde(default)]
    class: Option<String>,
    /// Other classes the same image can serve with: name = command line, each
    /// checked as `command` is (`pywebbench peak` tries them).
    #[serde(default)]
    classes: BTreeMap<String, String>,
}

/// `<suite>-py3<N>`: a lower-case suite name, `-py3`, then the minor version's digits.
fn is_base(base: &str) -> bool {
    let Some((suite, py)) = base.rsplit_once("-py3") else {
        return false;
    };
    !suite.is_empty()
        && suite.chars().all(|c| c.is_ascii_lowercase())
        && !py.is_empty()
        && py.len() <= 2
        && py.chars().all(|c| c.is_ascii_digit())
}

/// `YYYY-MM-DD` with a month 01-12 and a day 01-31.
fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    let num = |r: std::ops::Range<usize>| d[r].parse::<u32>().ok();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && d.chars()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|day| (1..=31).contains(&day))
}

/// Every registered stack, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    stacks: Vec<Stack>,
}

/// The folder holding `file` (`stacks/<folder>/stack.toml`).
fn folder_of(file: &str) -> &str {
    let dir = file
        .trim_end_matches("stack.toml")
        .trim_end_matches(['/', '\\']);
    dir.rsplit(['/', '\\']).next().unwrap_or(dir)
}

fn parse_one(file: &str, text: &str) -> Result<Stack, RegistryError> {
    let f: StackFile = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        RegistryError::Parse {
            file: match line {
                Some(l) => format!("{file}:{l}"),
                None => file.to_string(),
            },
            detail: e.message().trim().replace('\n', " "),
        }
    })?;
    let folder = folder_of(file);
    if f.name != folder {
        return Err(RegistryError::NameNotFolder {
            file: file.into(),
            name: f.name,
            folder: folder.into(),
        });
    }
    let docker_name = |n: &str| {
        !n.is_empty()
            && n.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && n.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    };
    if !docker_name(&f.name) {
        return Err(RegistryError::BadName {
            file: file.into(),
            name: f.name,
        });
    }
    for (key, value) in [
        ("label", &f.label),
        ("short_label", &f.short_label),
        ("framework", &f.framework),
    ] {
        if value.trim().is_empty() {
            return Err(RegistryError::Empty {
                file: file.into(),
                key,
            });
        }
    }
    if f.data_access == DataAccess::Raw && f.raw_twin.is_some() {
        return Err(RegistryError::RawWithTwin { file: file.into() });
    }
    if !is_base(&f.image.base) {
        return Err(RegistryError::BadBase {
            file: file.into(),
            base: f.image.base,
        });
    }
    if let Some(date) = f.image.locked_at.filter(|d| !is_date(d)) {
        return Err(RegistryError::BadLockedAt {
            file: file.into(),
            date,
        });
    }
    let command = f.server.command.trim();
    if command.is_empty() {
        return Err(RegistryError::EmptyCommand { file: file.into() });
    }
    if command.contains(['\n', '\r']) {
        return Err(RegistryError::MultiLineCommand { file: file.into() });
    }
    if !command.contains("$WORKERS") && !command.contains("${WORKERS}") {
        return Err(RegistryError::CommandWithoutWorkers { file: file.into() });
    }
    let own = f.server.class.unwrap_or_else(|| "default".into());
    let mut servers = vec![ServerClass {
        name: own,
        command: command.to_string(),
    }];
    for (name, other) in f.server.classes {
        let bad = |reason: &str| RegistryError::BadClass {
            file: file.into(),
            class: name.clone(),
            reason: reason.into(),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(bad(
                "name it with a-z, 0-9 and `-` (it goes into sample set names)",
            ));
        }
        if servers.iter().any(|s| s.name == name) {
            return Err(bad("is also `class`, the command's own; remove one"));
        }
        let other = other.trim();
        if other.is_empty() || other.contains(['\n', '\r']) {
            return Err(bad("give its server command on one line"));
        }
        if !other.contains("$WORKERS") && !other.contains("${WORKERS}") {
            return Err(bad(
                "the command does not use $WORKERS; pass it as the worker count",
            ));
        }
        servers.push(ServerClass {
            name: name.clone(),
            command: other.to_string(),
        });
    }
    Ok(Stack {
        servers,
        name: f.name,
        order: f.order,
        app_from: f.image.app_from,
        info: StackInfo {
            label: f.label,
            short_label: f.short_label,
            framework: f.framework,
            data_access: f.data_access,
            raw_twin: f.raw_twin,
        },
    })
}

impl Registry {
    /// Parse and check `(path, text)` of every `stacks/<stack>/stack.toml`: each file
    /// alone, then together (unique names and orders, raw twins that exist and are raw
    /// stacks of the same framework).
    pub fn parse(files: &[(&str, &str)]) -> Result<Registry, RegistryError> {
        if files.is_empty() {
            return Err(RegistryError::NoStacks);
        }
        let mut stacks: Vec<(&str, Stack)> = Vec::new();
        for (file, text) in files {
            let s = parse_one(file, text)?;
            if let Some((other, _)) = stacks.iter().find(|(_, o)| o.name == s.name) {
                return Err(RegistryError::Duplicate {
                    file: file.to_string(),
                    name: s.name,
                    other: other.to_string(),
                });
            }
            if let Some((other, _)) = stacks.iter().find(|(_, o)| o.order == s.order) {
                return Err(RegistryError::DuplicateOrder {
                    file: file.to_string(),
                    order: s.order,
                    other: other.to_string(),
                });
            }
            stacks.push((file, s));
        }
        for (file, s) in &stacks {
            let Some(twin) = &s.info.raw_twin else {
                continue;
            };
            match stacks.iter().find(|(_, o)| &o.name == twin) {
                None => {
                    return Err(RegistryError::TwinUnknown {
                        file: file.to_string(),
                        twin: twin.clone(),
                    });
                }
                Some((_, t))
                    if t.info.data_access != DataAccess::Raw
                        || t.info.framework != s.info.framework =>
                {
                    return Err(RegistryError::TwinNotRaw {
                        file: file.to_string(),
                        twin: twin.clone(),
                        framework: s.info.framework.clone(),
                    });
                }
                Some(_) => {}
            }
        }
        for (file, s) in &stacks {
            let Some(app) = &s.app_from else {
                continue;
            };
            let kind =
                |t: &Stack| format!("{}/{:?}", t.info.framework, t.info.data_access).to_lowercase();
            match stacks
                .iter()
                .find(|(_, o)| &o.name == app && o.name != s.name)
            {
                None => {
                    return Err(RegistryError::AppFromUnknown {
                        file: file.to_string(),
                        app: app.clone(),
                    });
                }
                Some((_, t)) if t.app_from.is_some() => {
                    return Err(RegistryError::AppFromChain {
                        file: file.to_string(),
                        app: app.clone(),
                    });
                }
                Some((_, t)) if kind(t) != kind(s) => {
                    return Err(RegistryError::AppFromOtherKind {
                        file: file.to_string(),
                        app: app.clone(),
                        theirs: kind(t),
                        ours: kind(s),
                    });
                }
                Some(_) => {}
            }
        }
        let mut stacks: Vec<Stack> = stacks.into_iter().map(|(_, s)| s).collect();
        stacks.sort_by_key(|s| s.order);
        Ok(Registry { stacks })
    }

    /// The stacks compiled in from `stacks/*/stack.toml` (checked by `build.rs`, so
    /// parsing them again cannot fail short of a broken build).
    pub fn builtin() -> &'static Registry {
        static BUILTIN: OnceLock<Registry> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Registry::parse(crate::STACK_FILES)
                .unwrap_or_else(|e| panic!("{e} (analysis/build.rs checks these files)"))
        })
    }

    /// Every stack, in order.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }

    /// Every stack's name, in order.
    pub fn names(&self) -> Vec<&str> {
        self.stacks.iter().map(|s| s.name.as_str()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&Stack> {
        self.stacks.iter().find(|s| s.name == name)
    }

    /// A stack's short label (figure axes, tables of runs that carry no `stack_info`,
    /// such as `sweep.json` and `peak.json`); an unregistered stack by its name.
    pub fn short_label_of(&self, name: &str) -> String {
        self.get(name)
            .map_or_else(|| name.to_string(), |s| s.info.short_label.clone())
    }

    /// `present` in the registry's order, then any unregistered stack by name.
    pub fn order(&self, present: impl IntoIterator<Item = String>) -> Vec<String> {
        let mut present: Vec<String> = present.into_iter().collect();
        present.sort();
        present.dedup();
        let mut out: Vec<String> = self
            .stacks
            .iter()
            .filter(|s| present.contains(&s.name))
            .map(|s| s.name.clone())
            .collect();
        out.extend(present.into_iter().filter(|p| self.get(p).is_none()));
        out
    }

    /// `stack_info` of the named stacks that are registered.
    pub fn info_of<'a>(
        &self,
        names: impl IntoIterator<Item = &'a String>,
    ) -> BTreeMap<String, StackInfo> {
        names
            .into_iter()
            .filter_map(|n| self.get(n).map(|s| (n.clone(), s.info.clone())))
            .collect()
    }
}

/// The ORM pairs among `stacks` (in their order): each ORM stack with a `raw_twin`
/// that is also present.
pub fn orm_pairs(stacks: &[String], info: &BTreeMap<String, StackInfo>) -> Vec<OrmPair> {
    stacks
        .iter()
        .filter_map(|orm| {
            let i = info.get(orm)?;
            let raw = i.raw_twin.as_ref()?;
            (i.data_access == DataAccess::Orm && stacks.contains(raw)).then(|| OrmPair {
                framework: i.framework.clone(),
                orm: orm.clone(),
                raw: raw.clone(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // [image] and [server] as inline tables first, so a test can append a top-level key.
    const GOOD: &str = "image = { base = \"bookworm-py311\" }\nserver = { command = \"gunicorn --workers $WORKERS app:app\" }\nname = \"a-orm\"\norder = 1\nlabel = \"A + ORM\"\nshort_label = \"A+ORM\"\nframework = \"a\"\ndata_access = \"orm\"\nraw_twin = \"a-raw\"\n";
    const RAW: &str = "image = { base = \"bookworm-py311\" }\nserver = { command = \"gunicorn --workers $WORKERS app:app\" }\nname = \"a-raw\"\norder = 2\nlabel = \"A + raw\"\nshort_label = \"A+raw\"\nframework = \"a\"\ndata_access = \"raw\"\n";

    fn err(files: &[(&str, &str)]) -> String {
        let e = Registry::parse(files).expect_err("must be refused");
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "not one line: {msg}");
        msg
    }

    #[test]
    fn the_five_stacks_load_in_the_papers_order_with_their_pairs() {
        let r = Registry::builtin();
        let five = [
            "fastapi-sqlalchemy",
            "fastapi-sqlite3",
            "flask-sqlalchemy",
            "flask-sqlite3",
            "django-drf",
        ];
        // In the paper's order (a later stack may come anywhere among them).
        let names: Vec<&str> = r.names().into_iter().filter(|n| five.contains(n)).collect();
        assert_eq!(names, five);
        let all: Vec<String> = five.iter().map(|s| s.to_string()).collect();
        let pairs = orm_pairs(&all, &r.info_of(&all));
        let pairs: Vec<(&str, &str, &str)> = pairs
            .iter()
            .map(|p| (p.framework.as_str(), p.orm.as_str(), p.raw.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("fastapi", "fastapi-sqlalchemy", "fastapi-sqlite3"),
                ("flask", "flask-sqlalchemy", "flask-sqlite3"),
            ]
        );
        let f = &r.get("fastapi-sqlalchemy").unwrap().info;
        assert_eq!(
            (f.label.as_str(), f.short_label.as_str()),
            ("FastAPI + SQLAlchemy (SQLModel)", "FastAPI+SQLAlchemy")
        );
        assert_eq!(
            r.get("django-drf").unwrap().info.data_access,
            DataAccess::Orm
        );
        // A pair needs both stacks present.
        let some = vec![
            "fastapi-sqlalchemy".to_string(),
            "flask-sqlite3".to_string(),
        ];
        assert!(orm_pairs(&some, &r.info_of(&some)).is_empty());
    }

    #[test]
    fn order_puts_registered_stacks_first() {
        let r = Registry::builtin();
        let got = r.order(["zzz", "django-drf", "aaa", "fastapi-sqlite3"].map(String::from));
        assert_eq!(got, ["fastapi-sqlite3", "django-drf", "aaa", "zzz"]);
    }

    #[test]
    fn a_good_pair_parses() {
        let r = Registry::parse(&[
            ("stacks/a-raw/stack.toml", RAW),
            ("stacks/a-orm/stack.toml", GOOD),
        ])
        .unwrap();
        assert_eq!(r.names(), ["a-orm", "a-raw"]);
    }

    #[test]
    fn each_bad_file_names_itself_and_the_fix() {
        let raw = ("stacks/a-raw/stack.toml", RAW);
        assert!(err(&[]).contains("no stacks/*/stack.toml"));
        // Unknown key (e.g. a misspelt section).
        let m = err(&[
            raw,
            ("stacks/a-orm/stack.toml", &format!("{GOOD}imgae = \"x\"\n")),
        ]);
        assert!(
            m.starts_with("stacks/a-orm/stack.toml:10: unknown field `imgae`"),
            "{m}"
        );
        // Bad data_access.
        let m = err(&[(
            "stacks/a-raw/stack.toml",
            &RAW.replace("\"raw\"", "\"sql\""),
        )]);
        assert!(
            m.starts_with("stacks/a-raw/stack.toml:8: unknown variant `sql`")
                && m.contains("data_access = \"orm\" | \"raw\""),
            "{m}"
        );
        // Missing key.
        let m = err(&[(
            "stacks/a-raw/stack.toml",
            &RAW.replace("framework = \"a\"\n", ""),
        )]);
        assert!(m.contains("missing field `framework`"), "{m}");
        // Name is not the folder.
        let m = err(&[("stacks/b-raw/stack.toml", RAW)]);
        assert_eq!(
            m,
            "stacks/b-raw/stack.toml: name = \"a-raw\" but the folder is `b-raw`; make them the same"
        );
        // Not a Docker name.
        let m = err(&[("stacks/A_raw/stack.toml", &RAW.replace("a-raw", "A_raw"))]);
        assert!(m.contains("not a lower-case Docker name"), "{m}");
        // Empty label.
        let m = err(&[(
            "stacks/a-raw/stack.toml",
            &RAW.replace("\"A + raw\"", "\" \""),
        )]);
        assert_eq!(
            m,
            "stacks/a-raw/stack.toml: label is empty; give the stack a label"
        );
        // Duplicate name (the same file twice) and duplicate order.
        let m = err(&[raw, raw]);
        assert!(m.contains("registered twice"), "{m}");
        let m = err(&[
            raw,
            (
                "stacks/a-orm/stack.toml",
                &GOOD.replace("order = 1", "order = 2"),
            ),
        ]);
        assert_eq!(
            m,
            "stacks/a-orm/stack.toml: order = 2 is also stacks/a-raw/stack.toml's; give each stack its own order"
        );
        // raw_twin unknown, not raw, another framework, or on a raw stack.
        let m = err(&[("stacks/a-orm/stack.toml", GOOD)]);
        assert!(
            m.starts_with(
                "stacks/a-orm/stack.toml: raw_twin = \"a-raw\" is not a registered stack"
            ),
            "{m}"
        );
        let orm_twin = RAW.replace("\"raw\"", "\"orm\"");
        let m = err(&[
            ("stacks/a-raw/stack.toml", &orm_twin),
            ("stacks/a-orm/stack.toml", GOOD),
        ]);
        assert!(m.contains("is not a raw stack of framework \"a\""), "{m}");
        let other_fw = RAW.replace("framework = \"a\"", "framework = \"b\"");
        let m = err(&[
            ("stacks/a-raw/stack.toml", &other_fw),
            ("stacks/a-orm/stack.toml", GOOD),
        ]);
        assert!(m.contains("is not a raw stack of framework \"a\""), "{m}");
        let m = err(&[(
            "stacks/a-raw/stack.toml",
            &format!("{RAW}raw_twin = \"a-raw\"\n"),
        )]);
        assert!(m.contains("a raw stack has no raw_twin"), "{m}");
    }

    #[test]
    fn app_from_names_another_stack_of_the_same_kind_that_has_its_own_app() {
        let raw = ("stacks/a-raw/stack.toml", RAW);
        let variant = |name: &str, app: &str| {
            RAW.replace("a-raw", name)
                .replace("order = 2", "order = 3")
                .replace(
                    "base = \"bookworm-py311\"",
                    &format!("base = \"trixie-py313\", app_from = {app:?}"),
                )
        };
        let v = variant("a-raw-py313", "a-raw");
        let r = Registry::parse(&[raw, ("stacks/a-raw-py313/stack.toml", &v)]).unwrap();
        assert_eq!(
            r.get("a-raw-py313").unwrap().app_from.as_deref(),
            Some("a-raw")
        );
        assert_eq!(r.get("a-raw").unwrap().app_from, None);
        // Unknown, itself, a chain, another framework or data access.
        let m = err(&[
            raw,
            (
                "stacks/a-raw-py313/stack.toml",
                &variant("a-raw-py313", "b-raw"),
            ),
        ]);
        assert_eq!(
            m,
            "stacks/a-raw-py313/stack.toml: [image] app_from = \"b-raw\" is not another registered stack; name the stack whose app/ this image serves, or remove app_from"
        );
        let m = err(&[
            raw,
            (
                "stacks/a-raw-py313/stack.toml",
                &variant("a-raw-py313", "a-raw-py313"),
            ),
        ]);
        assert!(m.contains("is not another registered stack"), "{m}");
        let chain = variant("a-raw-2", "a-raw-py313").replace("order = 3", "order = 4");
        let m = err(&[
            raw,
            ("stacks/a-raw-py313/stack.toml", &v),
            ("stacks/a-raw-2/stack.toml", &chain),
        ]);
        assert!(
            m.starts_with(
                "stacks/a-raw-2/stack.toml: [image] app_from = \"a-raw-py313\" itself has app_from"
            ),
            "{m}"
        );
        let orm = variant("a-raw-py313", "a-raw").replace("\"raw\"", "\"orm\"");
        let m = err(&[raw, ("stacks/a-raw-py313/stack.toml", &orm)]);
        assert!(
            m.contains("framework/data_access \"a/raw\", this stack \"a/orm\""),
            "{m}"
        );
    }

    #[test]
    fn bad_image_and_server_sections_name_the_file_and_the_fix() {
        let file = "stacks/a-raw/stack.toml";
        let one = |text: &str| err(&[(file, text)]);
        // The five stacks' sections parse (build.rs checks them too).
        assert!(Registry::parse(&[(file, RAW)]).is_ok());
        let dated = RAW.replace(
            "base = \"bookworm-py311\"",
            "base = \"trixie-py313\", locked_at = \"2025-05-12\"",
        );
        assert!(Registry::parse(&[(file, &dated)]).is_ok());
        // A bad base: no -py3<N>, a dotted version, an upper-case suite, no suite.
        for base in [
            "bookworm",
            "bookworm-py3.11",
            "Bookworm-py311",
            "-py311",
            "bookworm-py3",
        ] {
            let m = one(&RAW.replace("bookworm-py311", base));
            assert_eq!(
                m,
                format!(
                    "{file}: [image] base = {base:?} is not `<debian suite>-py3<N>`; write e.g. base = \"bookworm-py311\" (the suite's python3 must be 3.N)"
                )
            );
        }
        // A bad locked_at.
        for date in ["2025-5-12", "2025-13-01", "yesterday"] {
            let m = one(&RAW.replace(
                "base = \"bookworm-py311\"",
                &format!("base = \"bookworm-py311\", locked_at = {date:?}"),
            ));
            assert!(
                m.starts_with(&format!(
                    "{file}: [image] locked_at = {date:?} is not a date"
                )),
                "{m}"
            );
        }
        // An empty, multi-line or $WORKERS-less command.
        let cmd = "gunicorn --workers $WORKERS app:app";
        let m = one(&RAW.replace(cmd, "  "));
        assert!(
            m.starts_with(&format!("{file}: [server] command is empty; give")),
            "{m}"
        );
        let m = one(&RAW.replace(cmd, "gunicorn\\n--workers $WORKERS app:app"));
        assert!(m.contains("[server] command is more than one line"), "{m}");
        let m = one(&RAW.replace(cmd, "gunicorn --workers 2 app:app"));
        assert!(m.contains("[server] command does not use $WORKERS"), "{m}");
        assert!(Registry::parse(&[(file, &RAW.replace("$WORKERS", "${WORKERS}"))]).is_ok());
        // A missing section, an unknown key in one.
        let m = one(&RAW.replacen("server = {", "serverx = {", 1));
        assert!(m.contains("unknown field `serverx`"), "{m}");
        let m = one(&RAW.replace("image = { base", "image = { python = \"3.11\", base"));
        assert!(
            m.starts_with(&format!("{file}:1: unknown field `python`")),
            "{m}"
        );
        let m = one(&RAW.replace(
            "server = { command = \"gunicorn --workers $WORKERS app:app\" }\n",
            "",
        ));
        assert!(m.contains("missing field `server`"), "{m}");
    }
    #[test]
    fn server_classes_are_the_commands_own_then_the_others_checked_alike() {
        let file = "stacks/a-raw/stack.toml";
        let with = |server: &str| {
            RAW.replace(
                "server = { command = \"gunicorn --workers $WORKERS app:app\" }",
                server,
            )
        };
        let text = with(
            "server = { command = \"gunicorn --workers $WORKERS --threads $THREADS --worker-class gthread app:app\", class = \"gthread\", classes = { sync = \"gunicorn --workers $WORKERS --worker-class sync app:app\" } }",
        );
        let r = Registry::parse(&[(file, &text)]).expect("valid");
        let s = &r.get("a-raw").expect("registered").servers;
        let names: Vec<&str> = s.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["gthread", "sync"]);
        assert!(s[0].threads() && !s[1].threads());
        // No `class`: the command's class is `default`.
        let r = Registry::parse(&[(file, RAW)]).expect("valid");
        assert_eq!(r.stacks()[0].servers[0].name, "default");
        let m = err(&[(
            file,
            &with(
                "server = { command = \"x --workers $WORKERS\", classes = { Sync = \"x --workers $WORKERS\" } }",
            ),
        )]);
        assert!(
            m.contains("[server] class \"Sync\": name it with a-z"),
            "{m}"
        );
        let m = err(&[(
            file,
            &with(
                "server = { command = \"x --workers $WORKERS\", classes = { sync = \"x --workers 2\" } }",
            ),
        )]);
        assert!(m.contains("does not use $WORKERS"), "{m}");
        let m = err(&[(
            file,
            &with(
                "server = { command = \"x --workers $WORKERS\", class = \"a\", classes = { a = \"y --workers $WORKERS\" } }",
            ),
        )]);
        assert!(m.contains("is also `class`"), "{m}");
    }
}
