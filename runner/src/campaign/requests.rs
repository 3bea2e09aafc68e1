//! The requests of each scenario, deterministic in (campaign seed, request kind, iteration).
//!
//! Every random choice is drawn from a ChaCha8 stream seeded with the campaign's `seed`,
//! one stream per request kind, positioned at the iteration's own block
//! (`set_word_pos(iteration * 16)`): iteration `i` of `get_one` asks for the same id in
//! every run, for every stack, whichever VU takes it and in whatever order.
//! `delete` takes the ids of a seeded shuffle of `1..=records` in order, so its
//! iterations delete distinct ids.

use std::sync::Arc;

use bytes::Bytes;
use hyper::Method;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Campaign, RequestKind, Scenario};
use crate::load::{ConstantRequest, RequestSource, RequestSpec, ScenarioPlan};

/// 32-bit words per ChaCha block: one block per iteration.
const WORDS_PER_ITERATION: u128 = 16;

/// The stream of a kind: a fixed number, so adding a kind never changes another's requests.
fn stream(kind: RequestKind) -> u64 {
    match kind {
        RequestKind::Hello => 1,
        RequestKind::Echo => 2,
        RequestKind::GetAll => 3,
        RequestKind::GetOne => 4,
        RequestKind::Create => 5,
        RequestKind::Update => 6,
        RequestKind::Delete => 7,
    }
}

/// The RNG of one iteration of one kind.
fn iteration_rng(seed: u64, kind: RequestKind, iteration: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream(kind));
    rng.set_word_pos(u128::from(iteration) * WORDS_PER_ITERATION);
    rng
}

/// An item body (`name`, `description`, `price`, `quantity`), as the contract's POST/PUT take.
fn item_body(rng: &mut ChaCha8Rng, verb: &str, iteration: u64) -> Bytes {
    // Prices in cents 1.00..=999.99, quantities 1..=500: the seed database's ranges.
    let cents: u32 = rng.random_range(100..=99_999);
    let quantity: u32 = rng.random_range(1..=500);
    let body = serde_json::json!({
        "name": format!("{verb} item {iteration}"),
        "description": format!("{verb} by the pywebbench campaign, iteration {iteration}"),
        "price": f64::from(cents) / 100.0,
        "quantity": quantity,
    });
    Bytes::from(body.to_string())
}

/// Requests whose content varies per iteration.
struct Varying {
    kind: RequestKind,
    seed: u64,
    records: u64,
    /// `delete`: the seeded shuffle of `1..=records`.
    order: Vec<u64>,
}

impl RequestSource for Varying {
    fn request(&self, iteration: u64) -> RequestSpec {
        let mut rng = iteration_rng(self.seed, self.kind, iteration);
        match self.kind {
            RequestKind::GetOne => RequestSpec {
                method: Method::GET,
                path: format!("/items/{}", rng.random_range(1..=self.records)),
                body: None,
            },
            RequestKind::Create => RequestSpec {
                method: Method::POST,
                path: "/items/".into(),
                body: Some(item_body(&mut rng, "Created", iteration)),
            },
            RequestKind::Update => {
                let id = rng.random_range(1..=self.records);
                RequestSpec {
                    method: Method::PUT,
                    path: format!("/items/{id}"),
                    body: Some(item_body(&mut rng, "Updated", iteration)),
                }
            }
            // Validation limits delete iterations to `records`; the modulo only
            // keeps an out-of-plan index from panicking.
            _ => RequestSpec {
                method: Method::DELETE,
                path: format!(
                    "/items/{}",
                    self.order[(iteration % self.order.len() as u64) as usize]
                ),
                body: None,
            },
        }
    }
}

/// The seeded shuffle of `1..=records` that `delete` walks through.
pub fn delete_order(seed: u64, records: u64) -> Vec<u64> {
    let mut ids: Vec<u64> = (1..=records).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream(RequestKind::Delete));
    ids.shuffle(&mut rng);
    ids
}

/// The request source of a scenario.
pub fn source(campaign: &Campaign, kind: RequestKind) -> Arc<dyn RequestSource> {
    let constant = |method: Method, path: &str, body: Option<Bytes>| -> Arc<dyn RequestSource> {
        Arc::new(ConstantRequest(RequestSpec {
            method,
            path: path.into(),
            body,
        }))
    };
    match kind {
        RequestKind::Hello => constant(Method::GET, "/hello", None),
        RequestKind::Echo => constant(
            Method::POST,
            "/echo",
            Some(Bytes::from(campaign.echo_payload.clone())),
        ),
        RequestKind::GetAll => constant(Method::GET, "/items/", None),
        RequestKind::GetOne | RequestKind::Create | RequestKind::Update | RequestKind::Delete => {
            Arc::new(Varying {
                kind,
                seed: campaign.seed,
                records: campaign.database_records,
                order: if kind == RequestKind::Delete {
                    delete_order(campaign.seed, campaign.database_records)
                } else {
                    Vec::new()
                },
            })
        }
    }
}

/// The generator's plan for one scenario of the campaign.
pub fn plan(campaign: &Campaign, scenario: &Scenario) -> ScenarioPlan {
    ScenarioPlan {
        name: scenario.name.clone(),
        executor: scenario.executor.to_executor(),
        requests: source(campaign, scenario.request),
        request_timeout: campaign.request_timeout.0,
    }
}
