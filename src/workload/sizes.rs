//! Uneven tasks: how big each task of a batch is (`--task-sizes`) and in which order tasks are
//! handed out (`--order`), for the workloads that take a size (`cpu`, `io`, `mixed`).
//!
//! Task `i`'s size is the workload's size times a factor drawn for `i` from a seeded generator,
//! so every model, the sequential baseline and every batch get the same tasks and the checksums
//! stay exact. The factors are scaled so they average exactly 1 over the batch: a batch's total
//! work is the uniform batch's, whatever the distribution, and only how it is spread changes.
//! The order is a permutation of the batch: a model hands out positions 0, 1, 2, … as it always
//! does, and position `p` runs task `order[p]` (the batch checksum is a sum over all tasks, so it
//! does not change). `uniform` sizes in `submit` order are the plain batch and cost nothing.
//!
//! Pure: no timing, no threads. The layout of a batch (its factors and order) is computed once
//! and kept per thread.

use super::mix;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

super::choice! {
    /// The order a batch's tasks are handed out in (`--order`).
    pub enum Order("--order") {
        /// Task 0, 1, 2, …: the order they were submitted in (first come, first served).
        Submit = "submit",
        /// The smallest first (shortest job first).
        ShortestFirst = "shortest-first",
        /// The largest first (what balances a pool best).
        LongestFirst = "longest-first",
        /// A seeded shuffle.
        Random = "random",
    }
}

/// How task sizes are spread around their mean (`--task-sizes`). Parameters are kept in
/// thousandths so a workload stays `Eq` and `Copy`; in files and on the command line it is
/// its text: `uniform`, `exp`, `pareto:1.5`, `bimodal:0.1:10`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Dist {
    /// Every task the same size.
    #[default]
    Uniform,
    /// Exponentially distributed (coefficient of variation 1).
    Exp,
    /// Pareto with shape `alpha` (> 1: a finite mean; the smaller, the heavier its tail).
    Pareto {
        /// Shape α, thousandths.
        alpha_milli: u32,
    },
    /// Two sizes: a share `p` of the tasks is `ratio` times the others.
    Bimodal {
        /// The share of big tasks, thousandths.
        p_milli: u32,
        /// How many times bigger they are, thousandths.
        ratio_milli: u32,
    },
}

/// Pareto's default shape: the issue's and a classic heavy tail (80/20 is α ≈ 1.16).
const DEFAULT_ALPHA: f64 = 1.5;
/// Bimodal's default: one task in ten is ten times the others.
const DEFAULT_BIMODAL: (f64, f64) = (0.1, 10.0);

fn milli(v: f64) -> u32 {
    (v * 1000.0).round() as u32
}

fn unmilli(v: u32) -> f64 {
    v as f64 / 1000.0
}

impl Dist {
    /// Whether every task is the same size.
    pub fn is_uniform(&self) -> bool {
        *self == Dist::Uniform
    }

    /// A size factor for a uniform variate `u` in (0, 1), before scaling to mean 1.
    fn raw(&self, u: f64) -> f64 {
        match *self {
            Dist::Uniform => 1.0,
            Dist::Exp => -(1.0 - u).ln(),
            Dist::Pareto { alpha_milli } => (1.0 - u).powf(-1.0 / unmilli(alpha_milli)),
            Dist::Bimodal {
                p_milli,
                ratio_milli,
            } => {
                if u < unmilli(p_milli) {
                    unmilli(ratio_milli)
                } else {
                    1.0
                }
            }
        }
    }
}

impl std::fmt::Display for Dist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Dist::Uniform => f.write_str("uniform"),
            Dist::Exp => f.write_str("exp"),
            Dist::Pareto { alpha_milli } => write!(f, "pareto:{}", unmilli(alpha_milli)),
            Dist::Bimodal {
                p_milli,
                ratio_milli,
            } => write!(f, "bimodal:{}:{}", unmilli(p_milli), unmilli(ratio_milli)),
        }
    }
}

impl std::str::FromStr for Dist {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("bad --task-sizes '{s}': {why}");
        let mut parts = s.split(':');
        let name = parts.next().unwrap_or("");
        let nums: Vec<f64> = parts
            .map(|p| {
                p.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(&format!("'{p}' is not a number")))
            })
            .collect::<Result<_, _>>()?;
        let at_most = |n: usize| {
            if nums.len() > n {
                Err(bad(&format!("{name} takes at most {n} parameter(s)")))
            } else {
                Ok(())
            }
        };
        match name {
            "uniform" => at_most(0).map(|()| Dist::Uniform),
            "exp" => at_most(0).map(|()| Dist::Exp),
            "pareto" => {
                at_most(1)?;
                let alpha = nums.first().copied().unwrap_or(DEFAULT_ALPHA);
                if !(alpha > 1.0 && alpha <= 100.0) {
                    return Err(bad("ALPHA must be above 1 (a finite mean) and at most 100"));
                }
                Ok(Dist::Pareto {
                    alpha_milli: milli(alpha),
                })
            }
            "bimodal" => {
                at_most(2)?;
                if nums.len() == 1 {
                    return Err(bad("bimodal takes both P and RATIO, or neither"));
                }
                let (p, ratio) = match nums[..] {
                    [p, r] => (p, r),
                    _ => DEFAULT_BIMODAL,
                };
                if !(p > 0.0 && p < 1.0) {
                    return Err(bad("P, the share of big tasks, must be between 0 and 1"));
                }
                if !(1.0..=1e6).contains(&ratio) {
                    return Err(bad("RATIO must be from 1 to 1000000"));
                }
                Ok(Dist::Bimodal {
                    p_milli: milli(p).max(1),
                    ratio_milli: milli(ratio),
                })
            }
            _ => Err(bad(
                "expected uniform, exp, pareto[:ALPHA] or bimodal[:P:RATIO]",
            )),
        }
    }
}

impl Serialize for Dist {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The seed task sizes and the `random` order are drawn with unless `--seed` says otherwise.
pub const DEFAULT_SEED: u64 = 1;

/// A batch's task sizes and order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Sizes {
    /// How sizes spread.
    pub dist: Dist,
    /// The order tasks are handed out in.
    pub order: Order,
    /// The generator's seed.
    pub seed: u64,
    /// The tasks of a batch, over which the factors average 1 (set by the plan).
    pub tasks: u64,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            dist: Dist::Uniform,
            order: Order::Submit,
            seed: DEFAULT_SEED,
            tasks: 0,
        }
    }
}

/// A batch laid out: every task's size factor and the order they are handed out in.
#[derive(Debug)]
pub struct Layout {
    /// Size factors by task, averaging 1.
    pub factor: Vec<f64>,
    /// The task at each position.
    pub order: Vec<u64>,
}

impl Layout {
    /// The largest factor.
    pub fn max(&self) -> f64 {
        self.factor.iter().copied().fold(0.0, f64::max)
    }

    /// The coefficient of variation of the sizes (0: uniform).
    pub fn cv(&self) -> f64 {
        let n = self.factor.len().max(1) as f64;
        let var = self.factor.iter().map(|f| (f - 1.0).powi(2)).sum::<f64>() / n;
        var.sqrt()
    }
}

thread_local! {
    /// The last layout this thread used.
    static LAYOUT: std::cell::RefCell<Option<(Sizes, Arc<Layout>)>> =
        const { std::cell::RefCell::new(None) };
}

/// A variate in (0, 1) for task `i` of `seed`.
fn uniform(seed: u64, i: u64) -> f64 {
    let bits = mix(seed ^ mix(i ^ 0x5EED_0000_0000_00B0)) >> 11;
    (bits as f64 + 0.5) / (1u64 << 53) as f64
}

impl Sizes {
    /// Whether the batch is the plain one: every task the same size, in submit order.
    pub fn is_plain(&self) -> bool {
        self.dist.is_uniform() && self.order == Order::Submit
    }

    /// Takes the plan's tasks per batch, over which uneven sizes or an order are laid out (the
    /// plain batch keeps none, so its files stay as they were).
    pub fn set_tasks(&mut self, tasks: u64) {
        if !self.is_plain() {
            self.tasks = tasks;
        }
    }

    /// The batch laid out (computed once per thread and batch shape).
    pub fn layout(&self) -> Arc<Layout> {
        LAYOUT.with_borrow_mut(|slot| match slot {
            Some((s, l)) if s == self => l.clone(),
            _ => {
                let l = Arc::new(self.compute());
                *slot = Some((*self, l.clone()));
                l
            }
        })
    }

    fn compute(&self) -> Layout {
        let n = self.tasks;
        let raw: Vec<f64> = (0..n)
            .map(|i| self.dist.raw(uniform(self.seed, i)))
            .collect();
        let mean = raw.iter().sum::<f64>() / n.max(1) as f64;
        let factor: Vec<f64> = raw.iter().map(|r| r / mean).collect();
        let mut order: Vec<u64> = (0..n).collect();
        match self.order {
            Order::Submit => {}
            Order::ShortestFirst => {
                order.sort_by(|a, b| factor[*a as usize].total_cmp(&factor[*b as usize]))
            }
            Order::LongestFirst => {
                order.sort_by(|a, b| factor[*b as usize].total_cmp(&factor[*a as usize]))
            }
            Order::Random => fastrand::Rng::with_seed(self.seed ^ 0x0D0E).shuffle(&mut order),
        }
        Layout { factor, order }
    }

    /// The task at position `position` and its size factor. Positions beyond the batch the
    /// sizes were laid out for are plain.
    pub fn at(&self, position: u64) -> (u64, f64) {
        if self.is_plain() || position >= self.tasks {
            return (position, 1.0);
        }
        let l = self.layout();
        let task = l.order[position as usize];
        (task, l.factor[task as usize])
    }

    /// `n` scaled by a factor, rounded.
    pub fn scale(n: u64, factor: f64) -> u64 {
        (n as f64 * factor).round() as u64
    }

    /// "pareto:1.5 sizes (seed 1), longest-first", or nothing for the plain batch.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.dist.is_uniform() {
            parts.push(format!("{} sizes (seed {})", self.dist, self.seed));
        }
        if self.order != Order::Submit {
            parts.push(format!("{} order", self.order));
        }
        match parts.is_empty() {
            true => String::new(),
            false => format!(", {}", parts.join(", ")),
        }
    }

    /// What the sizes allow at best with `at_once` tasks running at a time: the batch's time
    /// in units of a mean task, bounded below by the largest task and by the work spread
    /// evenly. For the plain batch: whole waves, `ceil(tasks / at_once)`.
    pub fn bound(&self, tasks: u64, at_once: u64) -> f64 {
        let at_once = at_once.max(1);
        if self.dist.is_uniform() || tasks != self.tasks {
            return tasks.div_ceil(at_once) as f64;
        }
        (tasks as f64 / at_once as f64).max(self.layout().max())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(dist: &str, order: Order, tasks: u64) -> Sizes {
        Sizes {
            dist: dist.parse().unwrap(),
            order,
            seed: 7,
            tasks,
        }
    }

    #[test]
    fn factors_average_one_and_orders_are_permutations() {
        for d in ["uniform", "exp", "pareto:1.5", "bimodal:0.1:10", "bimodal"] {
            for &o in Order::ALL {
                let s = sizes(d, o, 64);
                let l = s.layout();
                let mean = l.factor.iter().sum::<f64>() / 64.0;
                assert!((mean - 1.0).abs() < 1e-9, "{d}: {mean}");
                let mut seen = l.order.clone();
                seen.sort_unstable();
                assert_eq!(seen, (0..64).collect::<Vec<_>>(), "{d} {o}");
                let f: Vec<f64> = (0..64).map(|p| s.at(p).1).collect();
                match o {
                    Order::ShortestFirst => assert!(f.windows(2).all(|w| w[0] <= w[1])),
                    Order::LongestFirst => assert!(f.windows(2).all(|w| w[0] >= w[1])),
                    _ => {}
                }
            }
        }
        // Skewed distributions are skewed, the same for everyone, and seeded.
        let p = sizes("pareto:1.5", Order::Submit, 200);
        assert!(p.layout().cv() > 0.5 && p.layout().max() > 3.0);
        assert_eq!(p.at(17), p.at(17));
        assert_ne!(p.at(17), Sizes { seed: 8, ..p }.at(17));
        assert_eq!(sizes("uniform", Order::Submit, 9).at(4), (4, 1.0));
    }

    #[test]
    fn distributions_parse_print_and_refuse_nonsense() {
        for t in ["uniform", "exp", "pareto:1.5", "pareto:2", "bimodal:0.1:10"] {
            assert_eq!(t.parse::<Dist>().unwrap().to_string(), t);
        }
        assert_eq!("pareto".parse::<Dist>().unwrap().to_string(), "pareto:1.5");
        for (t, says) in [
            ("pareto:1", "ALPHA must be above 1"),
            ("pareto:x", "'x' is not a number"),
            ("bimodal:0.5", "both P and RATIO"),
            ("bimodal:1.5:3", "between 0 and 1"),
            ("lognormal", "expected uniform, exp"),
            ("exp:3", "at most 0"),
        ] {
            let e = t.parse::<Dist>().unwrap_err();
            assert!(e.contains(says) && e.contains(t), "{t}: {e}");
        }
        let json = serde_json::to_string(&sizes("pareto:1.5", Order::Random, 3)).unwrap();
        assert!(json.contains(r#""dist":"pareto:1.5""#), "{json}");
        assert_eq!(
            serde_json::from_str::<Sizes>(&json).unwrap(),
            sizes("pareto:1.5", Order::Random, 3)
        );
    }

    #[test]
    fn the_bound_is_the_largest_task_or_the_even_spread() {
        let plain = sizes("uniform", Order::Submit, 10);
        assert_eq!(plain.bound(10, 4), 3.0);
        let skew = sizes("bimodal:0.1:50", Order::Submit, 10);
        let l = skew.layout();
        assert!(skew.bound(10, 2) >= l.max() && skew.bound(10, 2) >= 5.0);
    }
}
