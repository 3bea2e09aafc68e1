//! The order repetitions run in: interleaved rounds, stacks shuffled by the seed.
//!
//! Round `r` holds repetition `r` of every stack, and every round ends before the
//! next begins, so a drift of the host (thermal, a neighbour VM, page cache) is
//! spread over all stacks instead of being confounded with one of them. Inside a
//! round the stacks run in an order drawn from a ChaCha8 stream seeded with the
//! campaign's `seed` (stream [`ORDER_STREAM`], apart from the request streams),
//! re-drawn for every round, so no stack always goes first or always follows the
//! same neighbour. The same campaign gives the same order on every machine.
//!
//! This is the randomised complete block design: each round is a block that holds
//! every treatment (stack) once. The analysis may compare stacks within a round
//! (the round as a block); see `analysis/README.md`.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// The ChaCha stream of the round order (the request kinds use streams 1–7).
pub const ORDER_STREAM: u64 = 100;

/// Rounds `1..=repetitions`, each the stacks in the order they run.
pub fn rounds(stacks: &[String], repetitions: u32, seed: u64) -> Vec<Vec<String>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(ORDER_STREAM);
    (0..repetitions)
        .map(|_| {
            let mut round = stacks.to_vec();
            round.shuffle(&mut rng);
            round
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stacks() -> Vec<String> {
        ["a", "b", "c", "d", "e"].map(String::from).to_vec()
    }

    #[test]
    fn every_round_holds_every_stack_once() {
        let r = rounds(&stacks(), 7, 42);
        assert_eq!(r.len(), 7);
        for round in &r {
            let mut sorted = round.clone();
            sorted.sort();
            assert_eq!(sorted, stacks());
        }
    }

    #[test]
    fn the_order_follows_the_seed_and_varies_between_rounds() {
        assert_eq!(rounds(&stacks(), 5, 1), rounds(&stacks(), 5, 1));
        assert_ne!(rounds(&stacks(), 5, 1), rounds(&stacks(), 5, 2));
        let r = rounds(&stacks(), 5, 20250512);
        assert!(
            r.windows(2).any(|w| w[0] != w[1]),
            "the order is re-drawn each round: {r:?}"
        );
        // More rounds only append: a campaign run with --reps 3 is a prefix of --reps 5.
        assert_eq!(rounds(&stacks(), 3, 7)[..], rounds(&stacks(), 5, 7)[..3]);
    }

    #[test]
    fn one_stack_or_none() {
        assert_eq!(rounds(&["x".into()], 2, 0), vec![vec!["x"], vec!["x"]]);
        assert!(rounds(&[], 2, 0).iter().all(Vec::is_empty));
    }
}
