//! `[sweep]` of a campaign file: the capacity sweep's settings (`pywebbench sweep`),
//! every key optional.

use serde::Deserialize;
use toml::Spanned;

use super::super::{RequestKind, SweepTable, parse_share};
use super::{CampaignError, Ctx};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSweep {
    stacks: Option<Spanned<Vec<Spanned<String>>>>,
    request: Option<Spanned<String>>,
    rates: Option<Spanned<Vec<Spanned<i64>>>>,
    start: Option<Spanned<i64>>,
    max_rate: Option<Spanned<i64>>,
    slo: Option<Spanned<String>>,
    max_error_share: Option<Spanned<String>>,
    resolution: Option<Spanned<String>>,
    step_duration: Option<Spanned<String>>,
    pause: Option<Spanned<String>>,
}

impl Ctx<'_> {
    /// `[sweep]` validated (the command line and defaults fill what it leaves out).
    pub(super) fn sweep(&self, w: &RawSweep) -> Result<SweepTable, CampaignError> {
        let share = |v: &Option<Spanned<String>>, what: &str| {
            v.as_ref()
                .map(|v| {
                    parse_share(v.get_ref())
                        .map_err(|e| self.err(&v.span(), format!("sweep.{what}: {e}")))
                })
                .transpose()
        };
        let dur = |v: &Option<Spanned<String>>, what: &str| {
            v.as_ref().map(|v| self.positive_dur(v, what)).transpose()
        };
        let count = |v: &Option<Spanned<i64>>, what: &str| {
            v.as_ref().map(|v| self.count::<u32>(v, what)).transpose()
        };
        let stacks = self.stack_list(&w.stacks, "sweep.stacks")?;
        let request = match &w.request {
            None => None,
            Some(r) => Some(RequestKind::parse(r.get_ref()).ok_or_else(|| {
                self.err(
                    &r.span(),
                    format!(
                        "sweep.request {:?} is not a request kind; use one of {}",
                        r.get_ref(),
                        RequestKind::ALL.map(RequestKind::as_str).join(", ")
                    ),
                )
            })?),
        };
        let rates = match &w.rates {
            None => None,
            Some(list) => {
                if list.get_ref().is_empty() {
                    return Err(self.err(
                        &list.span(),
                        "sweep.rates is empty: list req/s values, e.g. [50, 100, 200], or drop it for the automatic ramp",
                    ));
                }
                Some(
                    list.get_ref()
                        .iter()
                        .map(|r| self.count(r, "a sweep rate"))
                        .collect::<Result<Vec<u32>, _>>()?,
                )
            }
        };
        Ok(SweepTable {
            stacks,
            request,
            rates,
            start: count(&w.start, "sweep.start")?,
            max_rate: count(&w.max_rate, "sweep.max_rate")?,
            slo: dur(&w.slo, "sweep.slo")?,
            max_error_share: share(&w.max_error_share, "max_error_share")?,
            resolution: share(&w.resolution, "resolution")?,
            step_duration: dur(&w.step_duration, "sweep.step_duration")?,
            pause: w
                .pause
                .as_ref()
                .map(|v| self.dur(v, "sweep.pause"))
                .transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::campaign::{Campaign, RequestKind};

    fn quick_with(sweep: &str) -> Result<Campaign, String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(crate::campaign::QUICK_FILE);
        let text = std::fs::read_to_string(&path).expect("the quick campaign");
        let base = &text[..text.find("[sweep]").expect("quick has [sweep]")];
        Campaign::parse("c.toml", &format!("{base}{sweep}")).map_err(|e| e.to_string())
    }

    #[test]
    fn the_quick_campaigns_sweep_table_is_read() {
        let c = quick_with("[sweep]\nrequest = \"get_one\"\nrates = [50, 100]\nslo = \"250ms\"\nmax_error_share = \"2%\"\n")
            .expect("valid");
        let s = c.sweep.expect("a [sweep]");
        assert_eq!(s.request, Some(RequestKind::GetOne));
        assert_eq!(s.rates, Some(vec![50, 100]));
        assert_eq!(s.slo.map(|d| d.0.as_millis()), Some(250));
        assert_eq!(s.max_error_share, Some(0.02));
    }

    #[test]
    fn bad_sweep_keys_are_named_with_their_line() {
        let e = quick_with("[sweep]\nrequest = \"hullo\"\n").unwrap_err();
        assert!(e.contains("sweep.request") && e.contains("hello"), "{e}");
        let e = quick_with("[sweep]\nrates = []\n").unwrap_err();
        assert!(e.contains("sweep.rates is empty"), "{e}");
        let e = quick_with("[sweep]\nstart = 0\n").unwrap_err();
        assert!(e.contains("sweep.start must be > 0"), "{e}");
        let e = quick_with("[sweep]\nstacks = [\"nope\"]\n").unwrap_err();
        assert!(e.contains("unknown stack \"nope\""), "{e}");
        let e = quick_with("[sweep]\nslo = \"fast\"\n").unwrap_err();
        assert!(e.contains("c.toml:"), "{e}");
    }
}
