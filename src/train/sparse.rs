//! The sparse trainer: linfa-logistic's multinomial objective on a CSR matrix,
//! minimized by argmin's L-BFGS (memory 10) with More–Thuente line search, the
//! solver linfa-logistic itself wraps.
//!
//! Objective (linfa-logistic 0.8.1, `multi_logistic_loss`), with a weight `wᵢ` per
//! sentence (1 gives linfa's exactly):
//!
//! `Σᵢ wᵢ · (log Σₖ exp(hᵢₖ) − hᵢ,yᵢ) + α/2 · ‖W‖²`, `hᵢ = xᵢ·W + b`,
//!
//! the intercepts `b` not regularized. Parameters are laid out as linfa lays them:
//! `(features + 1) × labels`, row-major, the intercepts in the last row.
//!
//! The solver sees fewer, rescaled variables ([`Problem`]): identical columns merged,
//! each column divided by a factor from the Hessian's diagonal at the start. The
//! objective is the same function of the model's weights, the stopping test is on the
//! gradient over every term, as linfa's is; only the path to the minimum changes.
//!
//! Determinism: rows are cut into blocks of a fixed size whatever the thread count;
//! each block's loss is summed in row order and the blocks in block order, and each
//! gradient entry is summed over its column's rows in row order. The result is the
//! same, bit for bit, on any number of threads.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock};

use argmin::core::{
    CostFunction, Executor, Gradient, IterState, Solver, State, TerminationReason,
    TerminationStatus, KV,
};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use rayon::prelude::*;

use super::params::Params;
use crate::error::{Error, Result};
use crate::features::SparseVector;
use crate::label::Label;

const K: usize = Label::COUNT;
/// Rows per block of the loss pass: fixed, so sums never depend on the thread count.
const ROW_BLOCK: usize = 256;
/// Columns per block of the gradient pass.
const COL_BLOCK: usize = 512;
/// linfa-logistic's default gradient tolerance.
pub const GRADIENT_TOLERANCE: f64 = 1e-4;
/// linfa-logistic's L-BFGS memory: the pairs its Hessian estimate keeps.
pub const LINFA_LBFGS_MEMORY: usize = 10;
/// The memory this solver uses unless told otherwise. Each pair kept costs about four
/// passes over the parameters per iteration, memory-bound passes that were most of a
/// fit's time with ten pairs; with the columns rescaled, fewer pairs cost a few more
/// iterations at most (BENCHMARKS.md, "L-BFGS memory").
pub const LBFGS_MEMORY: usize = 6;

/// A sparse matrix, compressed by rows or, transposed, by columns.
#[derive(Debug, Clone, Default)]
struct Compressed {
    starts: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f64>,
}

impl Compressed {
    fn from_rows(rows: &[SparseVector]) -> Compressed {
        let nnz = rows.iter().map(|r| r.indices.len()).sum();
        let mut m = Compressed {
            starts: Vec::with_capacity(rows.len() + 1),
            indices: Vec::with_capacity(nnz),
            values: Vec::with_capacity(nnz),
        };
        m.starts.push(0);
        for r in rows {
            m.indices.extend_from_slice(&r.indices);
            m.values.extend_from_slice(&r.values);
            m.starts.push(m.indices.len());
        }
        m
    }

    /// The transpose, each column's entries in row order.
    fn transpose(&self, n_cols: usize) -> Compressed {
        let mut counts = vec![0usize; n_cols + 1];
        for &c in &self.indices {
            counts[c as usize + 1] += 1;
        }
        for c in 0..n_cols {
            counts[c + 1] += counts[c];
        }
        let mut next = counts.clone();
        let mut t = Compressed {
            starts: counts,
            indices: vec![0; self.indices.len()],
            values: vec![0.0; self.values.len()],
        };
        for row in 0..self.starts.len() - 1 {
            for e in self.starts[row]..self.starts[row + 1] {
                let c = self.indices[e] as usize;
                t.indices[next[c]] = row as u32;
                t.values[next[c]] = self.values[e];
                next[c] += 1;
            }
        }
        t
    }

    fn row(&self, i: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.starts[i], self.starts[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }
}

/// Groups the columns of `rows` that are identical, entry for entry: returns each
/// column's group (`NO_GROUP` for an empty column), each group's first column, and
/// the number of columns in the group. Groups are numbered in the order of their
/// first column.
fn group_identical_columns(rows: &Compressed, n_cols: usize) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
    let cols = rows.transpose(n_cols);
    let mut group_of = vec![NO_GROUP; n_cols];
    let mut first_term: Vec<u32> = Vec::new();
    let mut sizes: Vec<u32> = Vec::new();
    // Column hash → groups with that hash (compared entry for entry).
    let mut by_hash: HashMap<u64, Vec<u32>> = HashMap::new();
    for (c, group) in group_of.iter_mut().enumerate() {
        let (idx, val) = cols.row(c);
        if idx.is_empty() {
            continue;
        }
        let mut hasher = DefaultHasher::new();
        idx.hash(&mut hasher);
        for v in val {
            v.to_bits().hash(&mut hasher);
        }
        let candidates = by_hash.entry(hasher.finish()).or_default();
        let same = candidates.iter().copied().find(|&g| {
            let (gi, gv) = cols.row(first_term[g as usize] as usize);
            gi == idx && gv.iter().zip(val).all(|(a, b)| a.to_bits() == b.to_bits())
        });
        let g = same.unwrap_or_else(|| {
            let g = first_term.len() as u32;
            first_term.push(c as u32);
            sizes.push(0);
            candidates.push(g);
            g
        });
        *group = g;
        sizes[g as usize] += 1;
    }
    (group_of, first_term, sizes)
}

/// The curvature of one sentence's loss along a weight at the starting point (every
/// label's probability 1/K): `p(1 − p)` times the value squared.
const START_CURVATURE: f64 = (1.0 / K as f64) * (1.0 - 1.0 / K as f64);

/// Each column's factor `d ≤ 1` for the solver's variables `z = d·u`, from the
/// diagonal of the Hessian at the start: `h = p(1 − p)·Σᵢ wᵢ xᵢ² + α` for a column,
/// `p(1 − p)·Σᵢ wᵢ` for an intercept.
///
/// A weight seen in one sentence has a curvature near α, the intercepts one summed
/// over every sentence: a ratio of 10⁵ and more, which L-BFGS, with one scalar for
/// its initial Hessian, learns only slowly. Dividing each column by `d = √(h / c)`
/// brings the curvatures within reach of each other. `c` is the geometric mean of the
/// largest column curvature and the intercepts', so that the intercepts and the most
/// curved weights meet in the middle; the intercepts keep `d = 1` and no factor
/// exceeds 1. On `data/train` of data 2.4.0, with linfa's L-BFGS memory of 10, 801
/// iterations unscaled (commit `929ab7a`) and 251 rescaled; on the constructed data
/// 248 and 65 (BENCHMARKS.md).
/// The minimum is the same point: only the path to it changes.
fn diagonal_factors(rows: &Compressed, n_cols: usize, weights: &[f64], alpha: f64) -> Vec<f64> {
    let mut column = vec![0.0; n_cols];
    for (i, &w) in weights.iter().enumerate() {
        let (idx, val) = rows.row(i);
        for (&c, &v) in idx.iter().zip(val) {
            column[c as usize] += w * v * v;
        }
    }
    let intercept = START_CURVATURE * weights.iter().sum::<f64>();
    let curvature = |sum: f64| START_CURVATURE * sum + alpha;
    let steepest = column.iter().copied().map(curvature).fold(0.0, f64::max);
    // Two roots, not the root of the product: the product of two large curvatures
    // (extreme weights or L2) overflows, and d would come out 0.
    let reference = steepest.sqrt() * intercept.sqrt();
    column
        .into_iter()
        .map(|sum| {
            let d = (curvature(sum) / reference).sqrt().min(1.0);
            // A factor that is 0 or not a number, or that would make the column's L2
            // strength α/d² infinite, is no scaling at all.
            if d > 0.0 && (alpha / (d * d)).is_finite() {
                d
            } else {
                1.0
            }
        })
        .collect()
}

/// `α/2 · ‖weights‖²`.
fn penalty(alpha: f64, weights: &[f64]) -> f64 {
    0.5 * alpha * weights.iter().map(|w| w * w).sum::<f64>()
}

/// `Σ_f α_f/2 · ‖weights_f‖²`, a strength per feature (row of K weights).
fn penalty_per_feature(alphas: &[f64], weights: &[f64]) -> f64 {
    0.5 * weights
        .chunks_exact(K)
        .zip(alphas)
        .map(|(w, a)| a * w.iter().map(|w| w * w).sum::<f64>())
        .sum::<f64>()
}

/// What is known at the point last costed.
struct Evaluation {
    params: Vec<f64>,
    residuals: Vec<f64>,
    data_loss: f64,
    /// Filled when the gradient there is first asked for: L-BFGS asks again for the
    /// gradient its line search has just computed at the point it accepts.
    gradient: Option<Vec<f64>>,
}

/// The objective over one set of columns: sentences as sparse rows, their labels and
/// weights.
struct Core {
    rows: Compressed,
    /// The transpose, made when a gradient is first asked for.
    cols: OnceLock<Compressed>,
    n_features: usize,
    labels: Vec<u8>,
    weights: Vec<f64>,
    /// The L2 strength of each of this core's features: `α / d²`.
    alphas: Vec<f64>,
    /// The residuals `wᵢ(softmax(hᵢ) − yᵢ)`, loss and gradient at the last point
    /// costed: the line search asks for the cost and then the gradient at a point, and
    /// L-BFGS asks again for the gradient at the point it accepts.
    last: Mutex<Option<Evaluation>>,
}

/// The fitting problem.
///
/// Terms that occur in exactly the same sentences with exactly the same values (most
/// terms seen once: the words and stem pairs of a sentence no other shares) have
/// identical columns. Their weights are equal at the optimum, and L-BFGS started from
/// zero keeps them equal, since every gradient it sees treats them alike. The solver
/// therefore works on one column per such group, scaled by √k for a group of k terms,
/// and each term gets the group's weight divided by √k: the objective and the gradient
/// norm are the same as over all the terms, with a fraction of the parameters. Columns
/// no sentence has (terms muted out of every row) are left out: their weights are zero.
///
/// Each group's column is further divided by a factor `d ≤ 1` (`diagonal_factors`)
/// and its L2 strength by `d²`: the solver's variable `z = d·u` has the same objective
/// as `u`, better conditioned. The gradient over every term then has norm
/// `‖d·∇z‖`, and the solver stops on that norm, the one linfa's tolerance is on.
///
/// The objective and gradient at any weights of every term come from the same rows:
/// a group's column times its variable `z` adds what its terms' columns times their
/// weights add when `z` is their sum over `σ = √k / d` (`Problem::project`); only
/// the penalty is over every term.
pub struct Problem {
    /// Over one column per group: what the solver minimizes.
    reduced: Core,
    /// Terms in all, the length of a row of weights outside the solver.
    n_features: usize,
    /// Each term's group, or `NO_GROUP` when no sentence has it.
    group_of: Vec<u32>,
    /// Each group's first term: a row holds every term of a group, and counts it once.
    first_term: Vec<u32>,
    /// `σ = √k / d` for each group of k terms: its column in the solver is a term's
    /// column times σ.
    scale: Vec<f64>,
    /// Each group's `d`: the gradient over every term has the norm of the solver's
    /// gradient with each group's K entries times its `d` (the intercepts' times 1).
    factors: Vec<f64>,
    /// The L2 strength over every term.
    alpha: f64,
    /// L-BFGS memory.
    memory: usize,
}

const NO_GROUP: u32 = u32::MAX;

/// How a fit ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// `(features + 1) × labels`, row-major, intercepts last.
    pub params: Vec<f64>,
    /// L-BFGS iterations run.
    pub iterations: u64,
    /// The objective at `params`.
    pub objective: f64,
    /// Euclidean norm of the gradient at `params`.
    pub gradient_norm: f64,
    /// Whether the gradient norm is below the tolerance: false when the iteration cap,
    /// or a cost that stopped changing, stopped the solver first.
    pub converged: bool,
}

impl Problem {
    /// `rows[i]` has label `labels[i]` and weight `weights[i]`.
    pub fn new(
        rows: &[SparseVector],
        n_features: usize,
        labels: &[Label],
        weights: &[f64],
        alpha: f64,
    ) -> Problem {
        Problem::build(rows, n_features, labels, weights, alpha, true)
    }

    /// `rescale` false leaves every `d` at 1, for the tests to compare.
    fn build(
        rows: &[SparseVector],
        n_features: usize,
        labels: &[Label],
        weights: &[f64],
        alpha: f64,
        rescale: bool,
    ) -> Problem {
        assert_eq!(rows.len(), labels.len());
        assert_eq!(rows.len(), weights.len());
        let labels: Vec<u8> = labels.iter().map(|l| l.index() as u8).collect();
        let full_rows = Compressed::from_rows(rows);
        let (group_of, first_term, sizes) = group_identical_columns(&full_rows, n_features);
        let root_sizes: Vec<f64> = sizes.iter().map(|&k| (k as f64).sqrt()).collect();
        let mut reduced_rows = Compressed::default();
        reduced_rows.starts.push(0);
        for i in 0..full_rows.starts.len() - 1 {
            let (idx, val) = full_rows.row(i);
            for (&f, &v) in idx.iter().zip(val) {
                let g = group_of[f as usize];
                if first_term[g as usize] == f {
                    reduced_rows.indices.push(g);
                    reduced_rows.values.push(v * root_sizes[g as usize]);
                }
            }
            reduced_rows.starts.push(reduced_rows.indices.len());
        }
        drop(full_rows);
        // The factors come from the merged columns' curvatures, so the columns are
        // divided by them once merged.
        let factors = if rescale {
            diagonal_factors(&reduced_rows, first_term.len(), weights, alpha)
        } else {
            vec![1.0; first_term.len()]
        };
        for (g, v) in reduced_rows.indices.iter().zip(&mut reduced_rows.values) {
            *v /= factors[*g as usize];
        }
        let scale = root_sizes
            .iter()
            .zip(&factors)
            .map(|(r, d)| r / d)
            .collect();
        let reduced = Core {
            rows: reduced_rows,
            cols: OnceLock::new(),
            n_features: first_term.len(),
            labels,
            weights: weights.to_vec(),
            alphas: factors.iter().map(|d| alpha / (d * d)).collect(),
            last: Mutex::new(None),
        };
        Problem {
            reduced,
            n_features,
            group_of,
            first_term,
            scale,
            factors,
            alpha,
            memory: LBFGS_MEMORY,
        }
    }

    /// The same problem, solved by an L-BFGS that keeps `memory` pairs (at least 1).
    pub fn with_memory(mut self, memory: usize) -> Problem {
        self.memory = memory.max(1);
        self
    }

    /// Number of parameters: `(features + 1) × labels`.
    pub fn n_params(&self) -> usize {
        (self.n_features + 1) * K
    }

    /// Number of parameters the solver works on: one column per group of identical
    /// columns, plus the intercepts.
    pub fn n_solver_params(&self) -> usize {
        self.reduced.n_params()
    }

    /// The objective at `params` (every term's weights, then the intercepts).
    pub fn objective(&self, params: &[f64]) -> f64 {
        let data_loss = self
            .reduced
            .with_evaluation(&self.project(params), |e| e.data_loss);
        data_loss + penalty(self.alpha, &params[..self.n_features * K])
    }

    /// The gradient at `params`: `Xᵀ R + αW` for the weights, `Σᵢ Rᵢ` for the intercepts.
    /// A group's column is its terms' column times σ, so each term's share of the
    /// group's `Xᵀ R` is that over σ.
    pub fn gradient_at(&self, params: &[f64]) -> Vec<f64> {
        let reduced = self.project(params);
        let data = self
            .reduced
            .with_evaluation(&reduced, |e| self.reduced.gradient_from(None, &e.residuals));
        let mut grad: Vec<f64> = params.iter().map(|w| self.alpha * w).collect();
        for (f, &g) in self.group_of.iter().enumerate() {
            if g != NO_GROUP {
                let g = g as usize;
                for k in 0..K {
                    grad[f * K + k] += data[g * K + k] / self.scale[g];
                }
            }
        }
        grad[self.n_features * K..].copy_from_slice(&data[self.first_term.len() * K..]);
        grad
    }

    /// Every term's weights from the groups': `σz / k` each, so that the k terms add
    /// `σz` times their column, as the group's column `σ·x` times `z` does.
    fn expand(&self, reduced: &[f64]) -> Vec<f64> {
        let n = self.n_features;
        let mut params = vec![0.0; self.n_params()];
        for (f, &g) in self.group_of.iter().enumerate() {
            if g != NO_GROUP {
                let g = g as usize;
                let d = self.factors[g];
                // σ/k = 1/(√k·d) = 1/(σ·d²).
                let per_term = 1.0 / (self.scale[g] * d * d);
                for k in 0..K {
                    params[f * K + k] = reduced[g * K + k] * per_term;
                }
            }
        }
        params[n * K..].copy_from_slice(&reduced[self.first_term.len() * K..]);
        params
    }

    /// The point of the solver's space nearest to `params`: the sum of a group's
    /// weights over σ (exact when they are equal, as in the solver's own results).
    fn project(&self, params: &[f64]) -> Vec<f64> {
        let groups = self.first_term.len();
        let mut reduced = vec![0.0; self.n_solver_params()];
        for (f, &g) in self.group_of.iter().enumerate() {
            if g != NO_GROUP {
                let g = g as usize;
                for k in 0..K {
                    reduced[g * K + k] += params[f * K + k];
                }
            }
        }
        for (g, &scale) in self.scale.iter().enumerate() {
            for k in 0..K {
                reduced[g * K + k] /= scale;
            }
        }
        reduced[groups * K..].copy_from_slice(&params[self.n_features * K..]);
        reduced
    }
}

impl Core {
    fn n_params(&self) -> usize {
        (self.n_features + 1) * K
    }

    fn cols(&self) -> &Compressed {
        self.cols
            .get_or_init(|| self.rows.transpose(self.n_features))
    }

    /// Loss and residuals at `params`, computed in parallel over fixed row blocks.
    fn residuals(&self, params: &[f64]) -> (Vec<f64>, f64) {
        let n = self.labels.len();
        let intercepts = &params[self.n_features * K..];
        let mut residuals = vec![0.0; n * K];
        let block_losses: Vec<f64> = residuals
            .par_chunks_mut(ROW_BLOCK * K)
            .enumerate()
            .map(|(block, out)| {
                let mut loss = 0.0;
                for (j, r) in out.chunks_exact_mut(K).enumerate() {
                    let i = block * ROW_BLOCK + j;
                    let mut h = [0.0; K];
                    h.copy_from_slice(intercepts);
                    let (idx, val) = self.rows.row(i);
                    for (&f, &v) in idx.iter().zip(val) {
                        let w = &params[f as usize * K..f as usize * K + K];
                        for k in 0..K {
                            h[k] += v * w[k];
                        }
                    }
                    let max = h.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let mut sum = 0.0;
                    for (k, hk) in h.iter().enumerate() {
                        let e = (hk - max).exp();
                        r[k] = e;
                        sum += e;
                    }
                    let lse = max + sum.ln();
                    let y = self.labels[i] as usize;
                    let weight = self.weights[i];
                    loss += weight * (lse - h[y]);
                    for (k, rk) in r.iter_mut().enumerate() {
                        let target = if k == y { 1.0 } else { 0.0 };
                        *rk = weight * (*rk / sum - target);
                    }
                }
                loss
            })
            .collect();
        let data_loss: f64 = block_losses.iter().sum();
        (residuals, data_loss)
    }

    /// Calls `f` with what is known at `params`, computing the residuals and data loss
    /// only when `params` is not the point last seen. They are lent, not copied: the
    /// residuals are sentences × labels, as large as the data.
    fn with_evaluation<T>(&self, params: &[f64], f: impl FnOnce(&mut Evaluation) -> T) -> T {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = !matches!(last.as_ref(), Some(e) if e.params.as_slice() == params);
        if fresh {
            let (residuals, data_loss) = self.residuals(params);
            *last = Some(Evaluation {
                params: params.to_vec(),
                residuals,
                data_loss,
                gradient: None,
            });
        }
        f(last.as_mut().expect("just filled"))
    }

    fn objective(&self, params: &[f64]) -> f64 {
        self.with_evaluation(params, |e| e.data_loss)
            + penalty_per_feature(&self.alphas, &params[..self.n_features * K])
    }

    fn gradient_at(&self, params: &[f64]) -> Vec<f64> {
        self.with_evaluation(params, |e| {
            if e.gradient.is_none() {
                e.gradient = Some(self.gradient_from(Some(params), &e.residuals));
            }
            e.gradient.clone().expect("just filled")
        })
    }

    /// `Xᵀ R`, plus `αW` when `penalized` gives `W`, and `Σᵢ Rᵢ` for the intercepts.
    fn gradient_from(&self, penalized: Option<&[f64]>, residuals: &[f64]) -> Vec<f64> {
        let cols = self.cols();
        let mut grad = vec![0.0; self.n_params()];
        let (weights_part, intercept_part) = grad.split_at_mut(self.n_features * K);
        weights_part
            .par_chunks_mut(COL_BLOCK * K)
            .enumerate()
            .for_each(|(block, out)| {
                for (j, g) in out.chunks_exact_mut(K).enumerate() {
                    let f = block * COL_BLOCK + j;
                    let (rows, vals) = cols.row(f);
                    let mut acc = [0.0; K];
                    for (&i, &v) in rows.iter().zip(vals) {
                        let r = &residuals[i as usize * K..i as usize * K + K];
                        for k in 0..K {
                            acc[k] += v * r[k];
                        }
                    }
                    for k in 0..K {
                        g[k] = match penalized {
                            Some(w) => acc[k] + self.alphas[f] * w[f * K + k],
                            None => acc[k],
                        };
                    }
                }
            });
        for r in residuals.chunks_exact(K) {
            for k in 0..K {
                intercept_part[k] += r[k];
            }
        }
        grad
    }
}

impl Problem {
    /// Minimizes the objective from `initial` (zeros when `None`), for at most
    /// `max_iterations` L-BFGS iterations or until the gradient norm is below `tolerance`.
    pub fn minimize(
        &self,
        initial: Option<Vec<f64>>,
        max_iterations: u64,
        tolerance: f64,
    ) -> Result<Fit> {
        let start = initial.unwrap_or_else(|| vec![0.0; self.n_params()]);
        if start.len() != self.n_params() {
            return Err(Error::Training(format!(
                "warm start has {} parameters, the problem {}",
                start.len(),
                self.n_params()
            )));
        }
        // The solver's own test is on the norm of the gradient it sees; ours is on the
        // gradient over every term, so its own is switched off (a norm is never < 0).
        let lbfgs = LBFGS::new(MoreThuenteLineSearch::new(), self.memory)
            .with_tolerance_grad(0.0)
            .map_err(|e| Error::Training(format!("L-BFGS: {e}")))?;
        let solver = StopOnTermsGradient {
            inner: lbfgs,
            factors: &self.factors,
            tolerance,
        };
        let start = self.project(&start);
        let core = &self.reduced;
        let result = Executor::new(core, solver)
            .configure(|state| {
                state
                    .param(Params::new(start.clone()))
                    .max_iters(max_iterations)
            })
            .run()
            .map_err(|e| Error::Training(format!("L-BFGS: {e}")))?;
        let state = result.state();
        let iterations = state.get_iter();
        let params = state
            .get_best_param()
            .map(|p| p.values().into_owned())
            .unwrap_or(start);
        let objective = core.objective(&params);
        let gradient_norm = terms_gradient_norm(&core.gradient_at(&params), &self.factors);
        if !objective.is_finite() {
            return Err(Error::Training(format!(
                "the objective is not finite ({objective}): check the data and --l2"
            )));
        }
        Ok(Fit {
            params: self.expand(&params),
            iterations,
            objective,
            gradient_norm,
            // Not argmin's verdict: it also calls a fit whose cost stopped changing
            // converged, whatever its gradient.
            converged: gradient_norm < tolerance,
        })
    }
}

/// The norm of the gradient over every term, from the solver's gradient: each
/// group's K entries times its factor, the intercepts (the last K) as they are.
fn terms_gradient_norm(solver_gradient: &[f64], factors: &[f64]) -> f64 {
    let (weights, intercepts) = solver_gradient.split_at(factors.len() * K);
    weights
        .chunks_exact(K)
        .zip(factors)
        .flat_map(|(g, &d)| g.iter().map(move |g| (g * d) * (g * d)))
        .chain(intercepts.iter().map(|g| g * g))
        .sum::<f64>()
        .sqrt()
}

type SolverState = IterState<Params, Params, (), (), (), f64>;

/// argmin's L-BFGS, stopped when the gradient over every term (not the one over the
/// solver's rescaled variables) is below the tolerance.
struct StopOnTermsGradient<'a, S> {
    inner: S,
    factors: &'a [f64],
    tolerance: f64,
}

impl<O, S: Solver<O, SolverState>> Solver<O, SolverState> for StopOnTermsGradient<'_, S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn init(
        &mut self,
        problem: &mut argmin::core::Problem<O>,
        state: SolverState,
    ) -> std::result::Result<(SolverState, Option<KV>), argmin::core::Error> {
        self.inner.init(problem, state)
    }

    fn next_iter(
        &mut self,
        problem: &mut argmin::core::Problem<O>,
        state: SolverState,
    ) -> std::result::Result<(SolverState, Option<KV>), argmin::core::Error> {
        self.inner.next_iter(problem, state)
    }

    fn terminate(&mut self, state: &SolverState) -> TerminationStatus {
        if let Some(gradient) = state.get_gradient() {
            let norm = terms_gradient_norm(&gradient.values(), self.factors);
            if norm < self.tolerance {
                return TerminationStatus::Terminated(TerminationReason::SolverConverged);
            }
            // Nothing can come of a point whose cost or gradient is not a number:
            // argmin's line search would go on forever from it.
            if !(norm.is_finite() && state.get_cost().is_finite()) {
                return TerminationStatus::Terminated(TerminationReason::SolverExit(
                    "the objective or its gradient is not finite".into(),
                ));
            }
        }
        self.inner.terminate(state)
    }
}

impl CostFunction for &Core {
    type Param = Params;
    type Output = f64;

    fn cost(&self, p: &Params) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.objective(&p.values()))
    }
}

impl Gradient for &Core {
    type Param = Params;
    type Gradient = Params;

    fn gradient(&self, p: &Params) -> std::result::Result<Params, argmin::core::Error> {
        Ok(Params::new(self.gradient_at(&p.values())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(u32, f64)]) -> SparseVector {
        SparseVector {
            indices: pairs.iter().map(|p| p.0).collect(),
            values: pairs.iter().map(|p| p.1).collect(),
        }
    }

    /// `n` labels going round the five in an irregular order.
    fn cycled_labels(n: u32, step: usize, run: usize) -> Vec<Label> {
        (0..n as usize)
            .map(|i| Label::ALL[(i * step + i / run) % K])
            .collect()
    }

    /// Five sentences' labels, one of each, and unequal weights.
    fn one_of_each_label() -> ([Label; K], [f64; K]) {
        (Label::ALL, [1.0, 2.0, 0.5, 1.0, 3.0])
    }

    #[test]
    fn gradient_matches_finite_differences() {
        // Term 4's column is term 1's: the two are solved as one, and the gradient at
        // weights that differ between them still comes out term by term.
        let rows = vec![
            row(&[(0, 0.6), (2, 0.8)]),
            row(&[(1, 1.0), (4, 1.0)]),
            row(&[(0, 0.3), (1, 0.4), (3, 0.866), (4, 0.4)]),
            row(&[(3, 1.0)]),
            row(&[(2, 0.5), (3, 0.5)]),
        ];
        let (labels, weights) = one_of_each_label();
        let p = Problem::new(&rows, 6, &labels, &weights, 0.3);
        assert_eq!(p.n_solver_params(), 5 * K);
        let params: Vec<f64> = (0..p.n_params())
            .map(|i| ((i * 7919) % 13) as f64 / 10.0 - 0.6)
            .collect();
        let grad = p.gradient_at(&params);
        for i in 0..params.len() {
            let mut plus = params.clone();
            let mut minus = params.clone();
            plus[i] += 1e-6;
            minus[i] -= 1e-6;
            let numeric = (p.objective(&plus) - p.objective(&minus)) / 2e-6;
            assert!(
                (numeric - grad[i]).abs() < 1e-6,
                "parameter {i}: {numeric} vs {}",
                grad[i]
            );
        }
    }

    #[test]
    fn same_bits_on_any_thread_count() {
        // 7,098 solver columns (37 + 11 + 7,000 + 50 groups of two identical
        // columns) × 5: more than one block of the parameter vector's passes.
        let n = 7000u32;
        let rows: Vec<SparseVector> = (0..n)
            .map(|i| {
                row(&[
                    (i % 37, 0.5),
                    (37 + i % 11, 0.7),
                    (48 + (i * 7) % 7900, 0.5),
                    (7948 + i % 50, 0.3),
                    (7998 + i % 50, 0.3),
                ])
            })
            .collect();
        let labels = cycled_labels(n, 3, 7);
        let weights = vec![1.0; n as usize];
        let problem = Problem::new(&rows, 8048, &labels, &weights, 0.1);
        assert_eq!(problem.n_solver_params(), (7098 + 1) * K);
        assert!(problem.n_solver_params() > crate::train::params::BLOCK);
        let fit = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| {
                    Problem::new(&rows, 8048, &labels, &weights, 0.1)
                        .minimize(None, 50, GRADIENT_TOLERANCE)
                        .unwrap()
                })
        };
        let one = fit(1);
        let three = fit(3);
        assert_eq!(one.params, three.params);
        assert_eq!(one.objective.to_bits(), three.objective.to_bits());
    }

    #[test]
    fn the_kept_gradient_is_never_that_of_another_point() {
        let rows: Vec<SparseVector> = (0..60u32)
            .map(|i| row(&[(i % 7, 0.5), (7 + i % 5, 1.0)]))
            .collect();
        let labels: Vec<Label> = (0..60).map(|i| Label::ALL[i % K]).collect();
        let weights = vec![1.0; 60];
        let problem = Problem::new(&rows, 12, &labels, &weights, 0.2);
        let n = problem.n_params();
        let a: Vec<f64> = (0..n).map(|j| (j as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..n).map(|j| (j as f64 * 0.11).cos()).collect();
        let fresh = |p: &[f64]| Problem::new(&rows, 12, &labels, &weights, 0.2).gradient_at(p);
        assert_eq!(problem.gradient_at(&a), fresh(&a));
        problem.objective(&b);
        assert_eq!(problem.gradient_at(&a), fresh(&a));
        assert_eq!(problem.gradient_at(&b), fresh(&b));
        assert_ne!(fresh(&a), fresh(&b));
    }

    #[test]
    fn identical_columns_are_solved_as_one_and_empty_ones_stay_zero() {
        // Terms 1 and 2 share their column, 3 and 5 theirs; term 4 is in no sentence.
        let rows = vec![
            row(&[(0, 0.6), (1, 0.5), (2, 0.5)]),
            row(&[(0, 0.8), (3, 0.3), (5, 0.3)]),
            row(&[(1, 0.5), (2, 0.5), (6, 0.7)]),
            row(&[(6, 1.0)]),
            row(&[(0, 0.2), (6, 0.4)]),
        ];
        let (labels, weights) = one_of_each_label();
        let p = Problem::new(&rows, 7, &labels, &weights, 0.1);
        assert_eq!(p.n_params(), 8 * K);
        assert_eq!(p.n_solver_params(), 5 * K);
        let fit = p.minimize(None, 1000, 1e-7).unwrap();
        assert!(fit.converged, "{fit:?}");
        let weight = |f: usize| &fit.params[f * K..f * K + K];
        assert_eq!(weight(1), weight(2));
        assert_eq!(weight(3), weight(5));
        assert_ne!(weight(1), weight(0));
        assert!(weight(4).iter().all(|&w| w == 0.0));
        // The optimum of the solver's space is the optimum over every term.
        let full_norm = p
            .gradient_at(&fit.params)
            .iter()
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt();
        assert!(
            (full_norm - fit.gradient_norm).abs() < 1e-12,
            "gradient norms: {full_norm} over every term, {} in the solver's space",
            fit.gradient_norm
        );
        assert!(full_norm < 1e-6, "{full_norm}");
        assert!((p.objective(&fit.params) - fit.objective).abs() < 1e-12 * fit.objective);
        // A warm start from the optimum is already converged.
        let again = p.minimize(Some(fit.params.clone()), 1000, 1e-7).unwrap();
        assert_eq!(again.iterations, 0);
    }

    #[test]
    fn sentences_without_terms_leave_only_the_intercepts_to_fit() {
        let rows = vec![row(&[]), row(&[]), row(&[])];
        let labels = [Label::Demand, Label::NoClaim, Label::NoClaim];
        let p = Problem::new(&rows, 4, &labels, &[1.0; 3], 0.1);
        assert_eq!(p.n_solver_params(), K);
        let fit = p.minimize(None, 100, 1e-8).unwrap();
        assert!(fit.converged, "{fit:?}");
        assert!(fit.params[..4 * K].iter().all(|&w| w == 0.0));
        // The intercepts alone give the label frequencies.
        let b = &fit.params[4 * K..];
        let z: f64 = b.iter().map(|x| x.exp()).sum();
        assert!((b[Label::NoClaim.index()].exp() / z - 2.0 / 3.0).abs() < 1e-6);
        let empty = Problem::new(&[], 0, &[], &[], 0.1);
        assert_eq!(empty.minimize(None, 10, 1e-8).unwrap().params, vec![0.0; K]);
    }

    #[test]
    fn rescaled_columns_reach_the_same_optimum_in_fewer_iterations() {
        // Common terms in many sentences, rare ones in a few: curvatures far apart.
        let n = 600u32;
        let rows: Vec<SparseVector> = (0..n)
            .map(|i| {
                row(&[
                    (i % 3, 0.6),
                    (3 + (i * 7) % 40, 0.5),
                    (43 + (i * 13) % 400, 0.4),
                    (443 + i, 0.45),
                ])
            })
            .collect();
        let labels = cycled_labels(n, 7, 5);
        let weights: Vec<f64> = (0..n).map(|i| 0.5 + (i % 4) as f64 * 0.5).collect();
        let problem =
            |rescale| Problem::build(&rows, 443 + n as usize, &labels, &weights, 0.05, rescale);
        let (scaled, plain) = (problem(true), problem(false));
        let d = &scaled.factors;
        assert_eq!(d.len() * K + K, scaled.n_solver_params());
        assert!(d.iter().all(|&d| d > 0.0 && d <= 1.0));
        assert!(d.iter().any(|&d| d < 0.5), "nothing rescaled");
        let tolerance = 1e-5;
        let a = scaled.minimize(None, 5000, tolerance).unwrap();
        let b = plain.minimize(None, 5000, tolerance).unwrap();
        assert!(a.converged && b.converged, "{a:?} {b:?}");
        // The solver stopped on the gradient over every term.
        let norm =
            |p: &Problem, w: &[f64]| p.gradient_at(w).iter().map(|g| g * g).sum::<f64>().sqrt();
        let terms_norm = norm(&plain, &a.params);
        assert!(terms_norm < tolerance, "gradient norm {terms_norm}");
        assert!((terms_norm - a.gradient_norm).abs() < 1e-12);
        // ... and not later than it allows: one iteration fewer is not there yet.
        let before = scaled.minimize(None, a.iterations - 1, tolerance).unwrap();
        assert!(
            !before.converged && before.gradient_norm >= tolerance,
            "{before:?}"
        );
        for (x, y) in a.params.iter().zip(&b.params) {
            assert!((x - y).abs() < 1e-4, "{x} {y}");
        }
        assert!(
            (a.objective - b.objective).abs() < 1e-9 * b.objective,
            "{} {}",
            a.objective,
            b.objective
        );
        assert!(
            a.iterations < b.iterations,
            "{} iterations rescaled, {} not",
            a.iterations,
            b.iterations
        );
    }

    #[test]
    fn extreme_weights_or_l2_end_in_bounded_time() {
        // Curvatures near the largest f64: the rescaling must not turn them into
        // factors of 0 and costs that are not a number, on which argmin's line search
        // never ends. Each fit must come back, converged, stopped or with an error.
        let rows = vec![
            row(&[(0, 0.6), (1, 0.8)]),
            row(&[(1, 0.6), (2, 0.8)]),
            row(&[(2, 1.0)]),
            row(&[(0, 0.8), (2, 0.6)]),
            row(&[(3, 1.0)]),
        ];
        let (labels, _) = one_of_each_label();
        let cases: Vec<(f64, f64)> = vec![(1e155, 0.05), (1.0, 1e308), (1e-300, 0.01)];
        for (weight, alpha) in cases {
            let (rows, labels) = (rows.clone(), labels);
            let (done, result) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let p = Problem::new(&rows, 4, &labels, &[weight; K], alpha);
                let _ = done.send(
                    p.minimize(None, 50, GRADIENT_TOLERANCE)
                        .map(|f| f.iterations),
                );
            });
            let outcome = result.recv_timeout(std::time::Duration::from_secs(60));
            assert!(
                outcome.is_ok(),
                "weights {weight}, l2 {alpha}: no result after 60 s"
            );
        }
    }
}
