use super::requests::{delete_order, plan};
use super::*;

const QUICK: &str = include_str!("../../../paper/campaign-quick.toml");
const FULL: &str = include_str!("../../../paper/campaign.toml");

/// The quick campaign with the first occurrence of `from` replaced by `to`;
/// also returns the 1-based number of the first line that changed.
fn edited(from: &str, to: &str) -> (String, usize) {
    assert!(QUICK.contains(from), "{from:?} not in the quick campaign");
    let text = QUICK.replacen(from, to, 1);
    let line = QUICK
        .lines()
        .zip(text.lines())
        .position(|(a, b)| a != b)
        .map_or(QUICK.lines().count() + 1, |i| i + 1);
    (text, line)
}

fn error_of(text: &str) -> String {
    match Campaign::parse("c.toml", text) {
        Ok(_) => panic!("the campaign was accepted"),
        Err(e) => e.to_string(),
    }
}

fn assert_error(from: &str, to: &str, expected_tail: &str) {
    let (text, line) = edited(from, to);
    let msg = error_of(&text);
    assert_eq!(msg, format!("c.toml:{line}: {expected_tail}"));
    assert!(!msg.contains('\n'), "not one line: {msg}");
}

#[test]
fn the_paper_campaign_states_the_procedure() {
    let c = Campaign::parse("paper/campaign.toml", FULL).expect("paper/campaign.toml is valid");
    assert_eq!(c.repetitions, 5);
    assert_eq!(c.settle.0, Duration::from_secs(20));
    assert_eq!(c.idle.0, Duration::from_secs(5));
    assert_eq!(c.pause.0, Duration::from_secs(3));
    assert_eq!((c.server.workers, c.server.threads), (2, 2));
    assert_eq!(c.server.cpuset, None);
    assert_eq!(c.stacks, analysis::Paper::builtin().unwrap().meta.stacks);
    let names: Vec<&str> = c.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "hello", "echo", "get_all", "get_one", "create", "update", "delete"
        ]
    );
    let w: Vec<&str> = c.warmup.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(w, ["warmup_hello", "warmup_get_all"]);
    let shape = |s: &Scenario| match &s.executor {
        ExecutorSpec::ConstantVus { vus, duration } => (*vus, 0, duration.0.as_secs()),
        ExecutorSpec::SharedIterations {
            vus, iterations, ..
        } => (*vus, *iterations, 0),
        ExecutorSpec::ConstantArrivalRate { .. } => panic!("the paper uses no arrival rate"),
    };
    let shapes: Vec<_> = c.scenarios.iter().map(shape).collect();
    assert_eq!(
        shapes,
        [
            (50, 0, 10),
            (100, 0, 15),
            (10, 100, 0),
            (10, 1000, 0),
            (10, 1000, 0),
            (10, 1000, 0),
            (1, 100, 0)
        ]
    );
    assert_eq!(shape(&c.warmup[0]), (20, 0, 10));
}

#[test]
fn the_quick_campaign_has_the_same_structure() {
    let q = Campaign::parse("paper/campaign-quick.toml", QUICK).expect("quick campaign is valid");
    let f = Campaign::parse("paper/campaign.toml", FULL).expect("full campaign is valid");
    assert_eq!(q.repetitions, 1);
    let key = |c: &Campaign| -> Vec<(String, RequestKind, &'static str)> {
        c.all_scenarios()
            .map(|s| {
                (
                    s.name.clone(),
                    s.request,
                    s.executor.to_executor().k6_name(),
                )
            })
            .collect()
    };
    assert_eq!(key(&q), key(&f));
    assert_eq!(q.echo_payload, f.echo_payload);
    assert_eq!(q.seed, f.seed);
}

#[test]
fn the_campaign_round_trips_through_the_manifest() {
    let c = Campaign::parse("q", QUICK).expect("valid");
    let json = c.to_json();
    assert_eq!(json["settle"], "2s");
    assert_eq!(json["scenarios"][0]["executor"], "constant-vus");
    assert_eq!(Campaign::from_json(&json), Ok(c));
}

#[test]
fn unitless_durations_are_rejected() {
    assert_error(
        "settle = \"2s\"",
        "settle = \"2\"",
        "settle: duration \"2\" needs a unit (s, ms, m, h)",
    );
    assert_error(
        "duration = \"2s\"",
        "duration = \"2 parsecs\"",
        "scenario \"echo\": duration: unknown unit \" parsecs\" in duration \"2 parsecs\" (use ns, us, ms, s, m, h)",
    );
}

#[test]
fn zero_and_negative_counts_are_rejected() {
    assert_error(
        "repetitions = 1",
        "repetitions = 0",
        "repetitions must be > 0, not 0",
    );
    assert_error(
        "vus = 50",
        "vus = -3",
        "scenario \"hello\": vus must be > 0, not -3",
    );
    assert_error(
        "iterations = 10\n",
        "iterations = 0\n",
        "scenario \"warmup_get_all\": iterations must be > 0, not 0",
    );
    assert_error(
        "duration = \"1s\"\n\n[[warmup]]",
        "duration = \"0s\"\n\n[[warmup]]",
        "scenario \"warmup_hello\": duration must be > 0 (e.g. \"10s\")",
    );
}

#[test]
fn unknown_names_are_rejected() {
    assert_error(
        "\"flask-sqlite3\", \"django-drf\"]",
        "\"flask-sqlite3\", \"rails\"]",
        &format!(
            "unknown stack \"rails\"; use some of {} (a new stack needs stacks/rails/stack.toml)",
            known_stacks().join(", ")
        ),
    );
    for (from, to, key) in [
        (
            "stacks = [\"fastapi-sqlite3\", \"flask-sqlite3\"]\nrequest",
            "stacks = [\"fastapi-sqlite3\", \"rails\"]\nrequest",
            "sweep.stacks",
        ),
        (
            "stacks = [\"flask-sqlite3\"]\nscenarios",
            "stacks = [\"rails\"]\nscenarios",
            "peak.stacks",
        ),
    ] {
        assert_error(
            from,
            to,
            &format!(
                "unknown stack \"rails\" in {key}; use some of {} (a new stack needs stacks/rails/stack.toml)",
                known_stacks().join(", ")
            ),
        );
    }
    assert_error(
        "executor = \"constant-vus\"\nvus = 50",
        "executor = \"ramping-vus\"\nvus = 50",
        "scenario \"hello\": executor: unknown executor \"ramping-vus\"; use constant-vus, shared-iterations or constant-arrival-rate",
    );
    assert_error(
        "request = \"update\"",
        "request = \"patch\"",
        "scenario \"update\": request: unknown request \"patch\"; use one of hello, echo, get_all, get_one, create, update, delete",
    );
}

#[test]
fn unknown_and_misplaced_fields_are_rejected() {
    let (text, line) = edited("pids_limit = 512", "pids_limit = 512\ncpu_shares = 2");
    let msg = error_of(&text);
    assert!(
        msg.starts_with(&format!("c.toml:{line}: unknown field `cpu_shares`")),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
    assert_error(
        "vus = 50\nduration = \"1s\"",
        "vus = 50\nduration = \"1s\"\niterations = 5",
        "scenario \"hello\": iterations: constant-vus takes no `iterations` (it takes vus, duration)",
    );
}

#[test]
fn missing_fields_name_the_scenario() {
    let text = QUICK.replacen("vus = 50\nduration = \"1s\"", "vus = 50", 1);
    let msg = error_of(&text);
    assert!(msg.starts_with("c.toml:"), "{msg}");
    assert!(
        msg.ends_with("scenario \"hello\": duration: constant-vus needs `duration`"),
        "{msg}"
    );
    let text = QUICK.replacen("seed = 20250512\n", "", 1);
    assert_eq!(error_of(&text), "c.toml:1: missing field `seed`");
}

#[test]
fn bad_values_are_rejected() {
    let (text, line) = edited("echo = '''", "echo = '''[");
    let text = text.replacen("\"PL\"}}", "\"PL\"}}]", 1);
    assert_eq!(
        error_of(&text),
        format!("c.toml:{line}: payloads.echo must be a JSON object ({{...}})")
    );
    let (text, _) = edited("\"PL\"}}", "\"PL\"}");
    assert!(
        error_of(&text).starts_with(&format!("c.toml:{line}: payloads.echo is not valid JSON: ")),
        "{}",
        error_of(&text)
    );
    assert_error(
        "memory_limit = \"2GiB\"",
        "memory_limit = \"2\"",
        "server.memory_limit: size \"2\" needs a unit (B, KiB, MiB, GiB)",
    );
    assert_error(
        "pids_limit = 512",
        "pids_limit = 512\ncpuset = \"zero\"",
        "server.cpuset: \"zero\" is not a CPU list (write e.g. \"0\" or \"0-1\"; omit it for no pinning)",
    );
    let (text, line) = edited(
        "iterations = 10\nmax_duration = \"1m\"\n\n[[scenario]]\nname = \"get_one\"",
        "iterations = 10\nmax_duration = \"1m\"\n\n[[scenario]]\nname = \"hello\"",
    );
    assert_eq!(
        error_of(&text),
        format!("c.toml:{line}: scenario name \"hello\" is used twice")
    );
}

#[test]
fn cpu_pinning_is_a_campaign_setting() {
    let text = QUICK.replacen(
        "pids_limit = 512",
        "pids_limit = 512\ncpuset = \"0\"\n\n[loadgen]\ncpus = \"1\"",
        1,
    );
    let c = Campaign::parse("c.toml", &text).expect("valid");
    assert_eq!(c.server.cpuset.as_deref(), Some("0"));
    assert_eq!(c.loadgen_cpus.as_deref(), Some("1"));
    assert_eq!(c.to_json()["loadgen_cpus"], "1");
    assert_eq!(parse_cpu_list("0,2-3,2"), Ok(vec![0, 2, 3]));
    assert!(parse_cpu_list("3-1").is_err());
    assert!(parse_cpu_list("").is_err());
    let text = QUICK.replacen(
        "pids_limit = 512",
        "pids_limit = 512\n\n[loadgen]\ncpus = \"1-\"",
        1,
    );
    assert!(error_of(&text).ends_with("loadgen.cpus: \"1-\" is not a CPU list (write e.g. \"0\" or \"0-1\"; omit it for no pinning)"));
}

#[test]
fn the_load_path_is_a_campaign_setting() {
    let c = Campaign::parse("c.toml", QUICK).expect("valid");
    assert_eq!(c.loadgen_path, PathChoice::Auto);
    for (text, want) in [
        ("netns", PathChoice::Netns),
        ("published-port", PathChoice::PublishedPort),
        ("auto", PathChoice::Auto),
    ] {
        let (edited_text, _) = edited(
            "pids_limit = 512",
            &format!("pids_limit = 512\n\n[loadgen]\npath = \"{text}\""),
        );
        let c = Campaign::parse("c.toml", &edited_text).expect("valid");
        assert_eq!(c.loadgen_path, want);
        assert_eq!(c.to_json()["loadgen_path"], text);
        assert_eq!(
            Campaign::from_json(&c.to_json()).unwrap().loadgen_path,
            want
        );
    }
    let (text, _) = edited(
        "pids_limit = 512",
        "pids_limit = 512\n\n[loadgen]\npath = \"bridge\"",
    );
    let line = text.lines().position(|l| l.starts_with("path = ")).unwrap() + 1;
    assert_eq!(
        error_of(&text),
        format!(
            "c.toml:{line}: loadgen.path \"bridge\" is unknown; use \"auto\", \"netns\" or \"published-port\""
        )
    );
    // A manifest written before the key existed reads back as auto.
    let mut old = c.to_json();
    old.as_object_mut().unwrap().remove("loadgen_path");
    assert_eq!(
        Campaign::from_json(&old).unwrap().loadgen_path,
        PathChoice::Auto
    );
}

#[test]
fn shared_iterations_follow_k6s_rules() {
    assert_error(
        "vus = 10\niterations = 100\n",
        "vus = 10\niterations = 9\n",
        "scenario \"get_one\": iterations: 9 iterations can't be fewer than the 10 vus (k6's rule for shared-iterations); raise iterations or lower vus",
    );
}

#[test]
fn delete_is_bounded_by_the_database() {
    assert_error(
        "vus = 1\niterations = 10",
        "vus = 1\niterations = 1501",
        "scenario \"delete\": iterations: 1501 deletes but the database has 1500 records; delete at most 1500",
    );
}

#[test]
fn warmup_names_must_start_with_warmup() {
    assert_error(
        "name = \"warmup_get_all\"",
        "name = \"pre_get_all\"",
        "warm-up \"pre_get_all\" must be named warmup_<something> (the analysis skips names starting with `warmup`)",
    );
}

#[test]
fn toml_syntax_errors_give_the_line() {
    let (text, line) = edited("idle = \"1s\"", "idle = \"1s");
    let msg = error_of(&text);
    assert!(msg.starts_with(&format!("c.toml:{line}: ")), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
}

fn requests_of(c: &Campaign, name: &str, n: u64) -> Vec<(String, String, Option<String>)> {
    let s = c
        .all_scenarios()
        .find(|s| s.name == name)
        .expect("scenario exists");
    let p = plan(c, s);
    (0..n)
        .map(|i| {
            let r = p.requests.request(i);
            let body = r.body.map(|b| String::from_utf8_lossy(&b).into_owned());
            (r.method.to_string(), r.path, body)
        })
        .collect()
}

#[test]
fn requests_are_deterministic_and_in_range() {
    let c = Campaign::parse("q", QUICK).expect("valid");
    for name in ["get_one", "create", "update", "delete"] {
        assert_eq!(
            requests_of(&c, name, 200),
            requests_of(&c, name, 200),
            "{name}"
        );
    }
    let ids = |name: &str| -> Vec<u64> {
        requests_of(&c, name, 1000)
            .into_iter()
            .map(|(_, p, _)| p.trim_start_matches("/items/").parse().expect("an id"))
            .collect()
    };
    for name in ["get_one", "update"] {
        let v = ids(name);
        assert!(v.iter().all(|&i| (1..=1500).contains(&i)), "{name}");
        let distinct: std::collections::BTreeSet<_> = v.iter().collect();
        assert!(
            distinct.len() > 600,
            "{name}: ids are not spread: {}",
            distinct.len()
        );
    }
    let del: Vec<u64> = ids("delete")[..10].to_vec();
    assert_eq!(del, delete_order(c.seed, 1500)[..10].to_vec());
    let distinct: std::collections::BTreeSet<_> = delete_order(c.seed, 1500).into_iter().collect();
    assert_eq!(distinct.len(), 1500);
    let creates = requests_of(&c, "create", 3);
    let body: serde_json::Value =
        serde_json::from_str(creates[2].2.as_deref().expect("a body")).expect("JSON");
    assert_eq!(body["name"], "Created item 2");
    assert!(
        body["price"]
            .as_f64()
            .is_some_and(|p| (1.0..1000.0).contains(&p))
    );
    assert!(
        body["quantity"]
            .as_u64()
            .is_some_and(|q| (1..=500).contains(&q))
    );
    assert_eq!(
        requests_of(&c, "echo", 1)[0].2.as_deref(),
        Some(c.echo_payload.as_str())
    );
    // Another seed, other requests.
    let mut other = c.clone();
    other.seed += 1;
    assert_ne!(
        requests_of(&c, "get_one", 50),
        requests_of(&other, "get_one", 50)
    );
}

#[test]
fn isolation_profile_follows_the_pinning() {
    let base = Campaign::parse("paper/campaign.toml", FULL).expect("valid");
    let profile = |server: Option<&str>, loadgen: Option<&str>| {
        let mut c = base.clone();
        c.server.cpuset = server.map(String::from);
        c.loadgen_cpus = loadgen.map(String::from);
        c.isolation().profile
    };
    assert_eq!(profile(None, None), "none");
    assert_eq!(profile(Some("0"), Some("1")), "split");
    assert_eq!(profile(Some("0-1"), Some("1")), "overlapping");
    assert_eq!(profile(Some("0"), None), "server-pinned");
    assert_eq!(profile(None, Some("1")), "loadgen-pinned");
    let i = {
        let mut c = base.clone();
        c.server.cpuset = Some("0".into());
        c.loadgen_cpus = Some("1".into());
        c.isolation()
    };
    assert_eq!(i.server_cpus.as_deref(), Some("0"));
    assert_eq!(i.loadgen_cpus.as_deref(), Some("1"));
}

#[test]
fn precision_is_a_campaign_setting() {
    let c = Campaign::parse("c.toml", QUICK).expect("valid");
    assert_eq!(c.precision, None);
    assert_eq!(c.planned_rounds(), 1);
    assert_eq!(c.precision_rule(), None);
    let with = |table: &str| {
        edited(
            "pids_limit = 512",
            &format!("pids_limit = 512\n\n[precision]\n{table}"),
        )
        .0
    };
    let c = Campaign::parse("c.toml", &with("target = \"2.5%\"\nmax_rounds = 7")).expect("valid");
    assert_eq!(
        c.precision,
        Some(Precision {
            target: 0.025,
            max_rounds: 7
        })
    );
    assert_eq!(c.planned_rounds(), 7);
    let rule = c.precision_rule().expect("a rule");
    assert_eq!(
        (rule.min_rounds, rule.max_rounds, rule.confidence),
        (1, 7, 0.95)
    );
    assert_eq!(Campaign::from_json(&c.to_json()).unwrap(), c);
    let c = Campaign::parse("c.toml", &with("target = \"3%\"")).expect("valid");
    assert_eq!(c.precision.unwrap().max_rounds, DEFAULT_MAX_ROUNDS);
    // A manifest written before the table existed reads back without it.
    let mut old = Campaign::parse("c.toml", QUICK).unwrap().to_json();
    assert!(old.get("precision").is_none());
    old.as_object_mut().unwrap().remove("precision");
    assert_eq!(Campaign::from_json(&old).unwrap().precision, None);

    for (table, tail) in [
        (
            "target = \"3\"",
            "precision.target: \"3\" is not a percentage; write e.g. \"3%\"",
        ),
        (
            "target = \"0%\"",
            "precision.target: \"0%\" must lie between 0% and 100% (e.g. \"3%\")",
        ),
        (
            "target = \"3%\"\nmax_rounds = 0",
            "precision.max_rounds must be > 0, not 0",
        ),
        ("max_rounds = 4", "missing field `target`"),
        (
            "target = \"3%\"\nrounds = 4",
            "unknown field `rounds`, expected `target` or `max_rounds`",
        ),
    ] {
        let msg = error_of(&with(table));
        assert!(msg.ends_with(tail), "{table:?}: {msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
    let text = QUICK.replacen("repetitions = 1", "repetitions = 5", 1);
    let text = text.replacen(
        "pids_limit = 512",
        "pids_limit = 512\n\n[precision]\ntarget = \"3%\"\nmax_rounds = 4",
        1,
    );
    assert!(
        error_of(&text).ends_with(
            "precision.max_rounds = 4 is below repetitions = 5: a precision run does at least `repetitions` rounds; raise max_rounds or lower repetitions"
        ),
        "{}",
        error_of(&text)
    );
}

#[test]
fn the_database_path_is_a_campaign_setting_and_the_findings_campaigns_parse() {
    let c = Campaign::parse("c.toml", QUICK).expect("valid");
    assert_eq!(c.database_path, None, "unset: the image's /data/items.db");
    assert!(c.to_json().get("database_path").is_none());
    let text = QUICK.replacen(
        "records = 1500",
        "records = 1500\npath = \"/dev/shm/items.db\"",
        1,
    );
    let c = Campaign::parse("c.toml", &text).expect("valid");
    assert_eq!(c.database_path.as_deref(), Some("/dev/shm/items.db"));
    assert_eq!(c.to_json()["database_path"], "/dev/shm/items.db");
    assert_error(
        "records = 1500",
        "records = 1500\npath = \"items.db\"",
        "database.path \"items.db\" is not an absolute file path in the container; write e.g. \"/dev/shm/items.db\" (tmpfs) or omit it for the image's /data/items.db",
    );
    for (file, text) in [
        (
            "writes.toml",
            include_str!("../../../paper/findings/writes.toml"),
        ),
        (
            "writes-1x1.toml",
            include_str!("../../../paper/findings/writes-1x1.toml"),
        ),
        (
            "writes-tmpfs.toml",
            include_str!("../../../paper/findings/writes-tmpfs.toml"),
        ),
    ] {
        let c = Campaign::parse(file, text).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.scenarios.iter().any(|s| s.name == "update_1vu"), "{file}");
    }
}

#[test]
fn the_peak_table_is_found_or_its_absence_says_which_campaign_has_one() {
    let c = Campaign::parse("paper/campaign.toml", FULL).expect("valid");
    let e = c
        .peak_table()
        .expect_err("the paper's campaign has no [peak]");
    assert!(
        e.contains("has no [peak] table") && e.contains(PEAK_FILE),
        "{e}"
    );
    let peak = include_str!("../../../paper/campaign-peak.toml");
    let c = Campaign::parse("paper/campaign-peak.toml", peak).expect("valid");
    assert!(c.peak_table().is_ok());
}
