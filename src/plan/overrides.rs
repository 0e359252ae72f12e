//! Command-line overrides ([`Overrides`]) applied to a preset's plan: explicit options win,
//! every value is checked, and the result is validated ([`build_config`]).

use super::presets::{Preset, TCP_CONNECTIONS, default_workers};
use super::{OnError, RunConfig, StartMethod, WorkloadOverride, WorkloadPlan};
use crate::error::{Error, Result};
use crate::machine::MachineInfo;
use crate::model::ModelKind;
use crate::workload::{UserRef, WorkloadKind, WorkloadSpec};

/// Values given explicitly on the command line; each replaces the preset's.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--workload`.
    pub workloads: Option<Vec<WorkloadKind>>,
    /// `--models`.
    pub models: Option<Vec<ModelKind>>,
    /// `--workers`.
    pub workers: Option<Vec<usize>>,
    /// `--tasks` (for every workload).
    pub tasks: Option<u64>,
    /// The workloads' own parameters (`--iterations`, `--sleep-ms`, `--queue`, …): each
    /// workload takes its own.
    pub params: crate::workload::Params,
    /// `--samples`.
    pub samples: Option<usize>,
    /// `--warmup`.
    pub warmup: Option<usize>,
    /// `--settle-ms`.
    pub settle_ms: Option<u64>,
    /// `--label`.
    pub label: Option<String>,
    /// `--switch-interval-ms` (gil model).
    pub switch_interval_ms: Option<u64>,
    /// `--start-method`: which variants `processes` stands for.
    pub start_methods: Option<Vec<StartMethod>>,
    /// `--on-error`.
    pub on_error: Option<OnError>,
    /// `--task-timeout`, seconds.
    pub task_timeout_s: Option<f64>,
    /// `--stack-size`, bytes.
    pub stack_size: Option<usize>,
    /// `--precision`.
    pub precision: Option<f64>,
    /// `--time-budget`, seconds.
    pub time_budget_s: Option<f64>,
    /// `--force`.
    pub force: bool,
    /// `--command` workloads, registered ([`crate::workload::command::register_all`]): they
    /// replace the preset's workloads (`--workload` adds parbench's own beside them), and run
    /// on [`COMMAND_MODELS`] unless `--models` says otherwise.
    pub commands: Vec<UserRef>,
}

/// The models a `--command` runs on by default: one after another, a pool of N threads each
/// waiting on a child, and tokio futures awaiting children.
pub const COMMAND_MODELS: [ModelKind; 3] = [
    ModelKind::Sequential,
    ModelKind::ThreadPool,
    ModelKind::Async,
];

/// The preset's configuration with `o` applied, validated.
pub fn build_config(preset: Preset, machine: &MachineInfo, o: &Overrides) -> Result<RunConfig> {
    let mut c = preset.config(machine);
    if !o.commands.is_empty() && o.workloads.is_none() {
        c.workloads.clear();
        c.per_workload.clear();
    }
    if let Some(kinds) = &o.workloads {
        // Keep the preset's sizes for workloads it has; take the default sizes for the others.
        let max_workers = *default_workers(machine).last().unwrap_or(&1) as u64;
        c.workloads = kinds
            .iter()
            .map(|k| {
                c.workloads
                    .iter()
                    .find(|w| w.spec.kind() == *k)
                    .copied()
                    .unwrap_or_else(|| WorkloadPlan::sized(*k, max_workers, 800))
            })
            .collect();
        dedup_in_order(&mut c.workloads, |w| w.spec.kind());
    }
    if !o.commands.is_empty() {
        c.models = COMMAND_MODELS.to_vec();
    }
    if let Some(m) = &o.models {
        c.models = m.clone();
        dedup_in_order(&mut c.models, |m| *m);
        // Explicit models replace a preset's per-workload choice too.
        for p in &mut c.per_workload {
            p.models = None;
        }
    }
    if let Some(methods) = &o.start_methods {
        let mut variants: Vec<ModelKind> = methods
            .iter()
            .map(|m| match m {
                StartMethod::Spawn => ModelKind::Processes,
                StartMethod::Fork => ModelKind::ProcessesFork,
            })
            .collect();
        dedup_in_order(&mut variants, |m| *m);
        let swap = |models: &mut Vec<ModelKind>| {
            if let Some(i) = models
                .iter()
                .position(|m| matches!(m, ModelKind::Processes | ModelKind::ProcessesFork))
            {
                models.retain(|m| !matches!(m, ModelKind::Processes | ModelKind::ProcessesFork));
                for (k, v) in variants.iter().enumerate() {
                    models.insert(i + k, *v);
                }
            }
        };
        swap(&mut c.models);
        for p in &mut c.per_workload {
            if let Some(m) = &mut p.models {
                swap(m);
            }
        }
    }
    if let Some(w) = &o.workers {
        c.workers = w.clone();
        c.workers.sort_unstable();
        c.workers.dedup();
        for p in &mut c.per_workload {
            p.workers = None;
        }
    }
    // A command's batch: twice the largest N, at least 4 runs (each runs once more, untimed,
    // for its reference).
    let most = c.workers.iter().copied().max().unwrap_or(1) as u64;
    for &u in &o.commands {
        c.workloads.push(WorkloadPlan {
            spec: WorkloadSpec::User(u),
            tasks: 4u64.max(most.saturating_mul(2)),
        });
    }
    if let Some(ms) = o.switch_interval_ms {
        c.switch_interval_ms = ms;
    }
    // A workload over the network (tcp-echo) beside others: the server designs over the
    // connection sweep, unless models or workers were given.
    if c.preset != Preset::Net && (o.models.is_none() || o.workers.is_none()) {
        let served: Vec<WorkloadKind> = c
            .workloads
            .iter()
            .map(|w| w.spec.kind())
            .filter(|k| k.over_network() && !c.per_workload.iter().any(|p| p.workload == *k))
            .collect();
        for workload in served {
            c.per_workload.push(WorkloadOverride {
                workload,
                models: o.models.is_none().then(crate::net::EchoServer::models),
                workers: o.workers.is_none().then(|| TCP_CONNECTIONS.to_vec()),
            });
        }
    }
    if let Some(e) = o.on_error {
        c.on_error = e;
    }
    if let Some(t) = o.task_timeout_s {
        c.task_timeout_s = Some(t);
    }
    if let Some(s) = o.stack_size {
        c.stack_size = Some(s);
    }
    for w in &mut c.workloads {
        if let Some(t) = o.tasks {
            w.tasks = t;
        }
        w.spec.workload_mut().set(&o.params);
        w.spec.workload_mut().set_tasks(w.tasks);
    }
    if let Some(s) = o.samples {
        c.samples = s;
    }
    // Samples given without a precision are exactly that many: the preset's sampling until
    // precise (quick's), and the budget that bounds it, give way.
    let exact = o.samples.is_some() && o.precision.is_none();
    c.precision = o.precision.or(c.precision.filter(|_| !exact));
    c.time_budget_s = o.time_budget_s.or(c.time_budget_s.filter(|_| !exact));
    c.force |= o.force;
    if let Some(w) = o.warmup {
        c.warmup = w;
    }
    if let Some(ms) = o.settle_ms {
        c.settle_ms = ms;
    }
    if let Some(l) = &o.label {
        if l.trim().is_empty() {
            return Err(Error::Config("--label must not be empty".into()));
        }
        if l.chars().any(char::is_control) {
            return Err(Error::Config(format!(
                "--label {l:?} must be one line of text (it heads summaries and charts)"
            )));
        }
        c.label = Some(l.clone());
    }
    c.validate()?;
    Ok(c)
}

/// Keeps the first of every item with the same key, in order (`--models threads,sequential,threads`
/// is threads, sequential).
fn dedup_in_order<T, K: PartialEq>(items: &mut Vec<T>, key: impl Fn(&T) -> K) {
    let mut seen: Vec<K> = Vec::new();
    items.retain(|x| {
        let k = key(x);
        let new = !seen.contains(&k);
        if new {
            seen.push(k);
        }
        new
    });
}
