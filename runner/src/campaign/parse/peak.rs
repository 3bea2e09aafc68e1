//! `[peak]` of a campaign file: the peak-configuration grid (`pywebbench peak`), one
//! `[[peak.class]]` per worker class with its worker (and thread) counts.

use analysis::peak::ClassGrid;
use analysis::registry::Registry;
use serde::Deserialize;
use toml::Spanned;

use super::super::PeakTable;
use super::{CampaignError, Ctx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPeak {
    stacks: Option<Spanned<Vec<Spanned<String>>>>,
    scenarios: Option<Vec<String>>,
    class: Spanned<Vec<Spanned<RawClass>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    class: Spanned<String>,
    workers: Spanned<Vec<Spanned<i64>>>,
    threads: Option<Spanned<Vec<Spanned<i64>>>>,
}

impl Ctx<'_> {
    fn counts(
        &self,
        list: &Spanned<Vec<Spanned<i64>>>,
        what: &str,
    ) -> Result<Vec<u32>, CampaignError> {
        if list.get_ref().is_empty() {
            return Err(self.err(
                &list.span(),
                format!("{what} is empty: list counts, e.g. [1, 2, 4]"),
            ));
        }
        list.get_ref().iter().map(|n| self.count(n, what)).collect()
    }

    /// `[peak]` validated: known stacks, classes some registered stack declares
    /// (`[server] class` / `[server.classes]` of its stack.toml), each once.
    pub(super) fn peak(&self, p: &RawPeak) -> Result<PeakTable, CampaignError> {
        let stacks = self.stack_list(&p.stacks, "peak.stacks")?;
        if p.class.get_ref().is_empty() {
            return Err(self.err(
                &p.class.span(),
                "[peak] has no [[peak.class]]: add one per worker class to try, e.g. class = \"gthread\", workers = [1, 2, 4], threads = [2, 4]",
            ));
        }
        let declared: Vec<String> = Registry::builtin()
            .stacks()
            .iter()
            .flat_map(|s| s.servers.iter().map(|c| c.name.clone()))
            .collect();
        let mut classes: Vec<ClassGrid> = Vec::new();
        for c in p.class.get_ref() {
            let c = c.get_ref();
            let name = c.class.get_ref();
            if !declared.contains(name) {
                let mut known = declared.clone();
                known.sort();
                known.dedup();
                return Err(self.err(
                    &c.class.span(),
                    format!(
                        "peak.class {name:?} is no stack's server class; use one of {} (a stack declares its classes in [server] of its stack.toml)",
                        known.join(", ")
                    ),
                ));
            }
            if classes.iter().any(|g| &g.class == name) {
                return Err(self.err(
                    &c.class.span(),
                    format!("peak.class {name:?} is listed twice; merge its counts into one [[peak.class]]"),
                ));
            }
            classes.push(ClassGrid {
                class: name.clone(),
                workers: self.counts(&c.workers, "peak.class.workers")?,
                threads: c
                    .threads
                    .as_ref()
                    .map(|t| self.counts(t, "peak.class.threads"))
                    .transpose()?,
            });
        }
        Ok(PeakTable {
            stacks,
            scenarios: p.scenarios.clone(),
            classes,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::campaign::Campaign;

    fn quick_with(peak: &str) -> Result<Campaign, String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate::campaign::QUICK_FILE);
        let text = std::fs::read_to_string(&path).expect("the quick campaign");
        let base = &text[..text.find("[peak]").unwrap_or(text.len())];
        Campaign::parse("c.toml", &format!("{base}\n{peak}")).map_err(|e| e.to_string())
    }

    #[test]
    fn the_peak_table_is_read_class_by_class() {
        let c = quick_with(
            "[peak]\nstacks = [\"flask-sqlite3\"]\n[[peak.class]]\nclass = \"gthread\"\nworkers = [1, 2]\nthreads = [2, 4]\n[[peak.class]]\nclass = \"sync\"\nworkers = [1]\n",
        )
        .expect("valid");
        let p = c.peak.expect("a [peak]");
        assert_eq!(p.stacks, Some(vec!["flask-sqlite3".to_string()]));
        assert_eq!(p.classes.len(), 2);
        assert_eq!(p.classes[0].threads, Some(vec![2, 4]));
        assert_eq!(p.classes[1].threads, None);
    }

    #[test]
    fn bad_peak_keys_are_named_with_their_line() {
        let e = quick_with("[peak]\n[[peak.class]]\nclass = \"eventlet\"\nworkers = [1]\n")
            .unwrap_err();
        assert!(
            e.contains("c.toml:")
                && e.contains("\"eventlet\" is no stack's server class")
                && e.contains("gthread"),
            "{e}"
        );
        let e = quick_with("[peak]\n[[peak.class]]\nclass = \"sync\"\nworkers = []\n").unwrap_err();
        assert!(e.contains("peak.class.workers is empty"), "{e}");
        let e =
            quick_with("[peak]\n[[peak.class]]\nclass = \"sync\"\nworkers = [0]\n").unwrap_err();
        assert!(e.contains("must be > 0"), "{e}");
        let e = quick_with("[peak]\n[[peak.class]]\nclass = \"sync\"\nworkers = [1]\n[[peak.class]]\nclass = \"sync\"\nworkers = [2]\n").unwrap_err();
        assert!(e.contains("listed twice"), "{e}");
        let e = quick_with(
            "[peak]\nstacks = [\"nope\"]\n[[peak.class]]\nclass = \"sync\"\nworkers = [1]\n",
        )
        .unwrap_err();
        assert!(e.contains("unknown stack \"nope\""), "{e}");
    }
}
