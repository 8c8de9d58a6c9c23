//! The parameter vector L-BFGS works on.
//!
//! argmin's L-BFGS spends most of a fit outside the objective, in its own passes over
//! all `(features + 1) × labels` parameters: per iteration, about thirty dot products
//! and, in the two-loop recursion, twenty products by a scalar each followed by an
//! addition, every one into a freshly allocated vector. These passes are bound by
//! memory bandwidth. Four things cut them down here, without touching argmin:
//!
//! - A product by a scalar is lazy: it shares the vector and keeps the factor, and the
//!   addition that follows applies it in the same pass. Cloning shares the vector too
//!   (a vector is never changed once made), so argmin's many clones cost nothing.
//! - A dot product keeps eight running sums, which vectorize, where a plain `sum`
//!   is one chain of dependent additions the compiler may not reorder.
//! - Long vectors are cut into blocks of a fixed size that threads share. Sums are
//!   combined in block order, so every result is the same, bit for bit, whatever the
//!   number of threads.
//!
//! - Dot products are remembered: the two-loop recursion asks for every stored
//!   pair's `yₖ·sₖ` again at each iteration, a third of its dot products, though
//!   neither vector changes once stored.
//!
//! Every result is bit for bit what the same operations done eagerly give.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, Weak};

use argmin_math::{
    ArgminAdd, ArgminDot, ArgminL1Norm, ArgminL2Norm, ArgminMinMax, ArgminMul, ArgminScaledAdd,
    ArgminSignum, ArgminSub, ArgminZeroLike,
};
use rayon::prelude::*;

/// Elements per block: long enough that a block's work outweighs handing it to a thread.
pub(crate) const BLOCK: usize = 1 << 15;
/// Dot products remembered: the L-BFGS memory's ten `yₖ·sₖ` of each of several fits
/// running at once (`train --tune` runs its folds in parallel) and the products of
/// their current iteration.
const REMEMBERED_DOTS: usize = 64;

/// A remembered dot product. The operands are held weakly, so that remembering
/// keeps no vector alive; an operand that is still alive cannot share its address
/// with another, so a live match is the same vector.
struct RememberedDot {
    a: Weak<Vec<f64>>,
    a_factor: u64,
    b: Weak<Vec<f64>>,
    b_factor: u64,
    value: f64,
}

/// Shared by every fit: entries of other fits never match, their vectors being others.
static DOTS: Mutex<Vec<RememberedDot>> = Mutex::new(Vec::new());

/// Dot products computed and remembered, for the tests.
#[cfg(test)]
static MISSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Independent running sums of a dot product: enough chains to hide the latency of
/// an addition, so the loop runs at the speed of its loads.
const LANES: usize = 8;

/// Parameters (or a gradient, or a direction) of the objective, in linfa's layout:
/// `factor × values`.
#[derive(Debug, Clone)]
pub struct Params {
    values: Arc<Vec<f64>>,
    factor: f64,
}

impl Params {
    pub fn new(values: Vec<f64>) -> Params {
        Params {
            values: Arc::new(values),
            factor: 1.0,
        }
    }

    /// The parameters, computed only when a factor is pending.
    pub fn values(&self) -> Cow<'_, [f64]> {
        if self.factor == 1.0 {
            Cow::Borrowed(self.values.as_slice())
        } else {
            Cow::Owned(self.values.iter().map(|v| v * self.factor).collect())
        }
    }

    #[cfg(test)]
    fn into_values(self) -> Vec<f64> {
        self.values().into_owned()
    }

    fn len(&self) -> usize {
        self.values.len()
    }

    fn map(&self, f: impl Fn(f64) -> f64 + Sync + Send) -> Params {
        let c = self.factor;
        Params::new(
            self.values
                .par_iter()
                .with_min_len(BLOCK)
                .map(|&a| f(c * a))
                .collect(),
        )
    }

    fn zip_map(&self, other: &Params, f: impl Fn(f64, f64) -> f64 + Sync + Send) -> Params {
        assert_eq!(
            self.len(),
            other.len(),
            "parameter vectors differ in length"
        );
        let (c, d) = (self.factor, other.factor);
        Params::new(
            self.values
                .par_iter()
                .zip(other.values.as_slice())
                .with_min_len(BLOCK)
                .map(|(&a, &b)| f(c * a, d * b))
                .collect(),
        )
    }

    /// Σ f(aᵢ, bᵢ), summed block by block in block order.
    fn sum_of(&self, other: &Params, f: impl Fn(f64, f64) -> f64 + Sync + Send) -> f64 {
        assert_eq!(
            self.len(),
            other.len(),
            "parameter vectors differ in length"
        );
        let (c, d) = (self.factor, other.factor);
        let partial: Vec<f64> = self
            .values
            .par_chunks(BLOCK)
            .zip(other.values.par_chunks(BLOCK))
            .map(|(a, b)| lane_sum(a, b, &|x, y| f(c * x, d * y)))
            .collect();
        partial.iter().sum()
    }
}

/// One block's Σ f(aᵢ, bᵢ) with independent running sums, combined in a fixed order.
fn lane_sum(a: &[f64], b: &[f64], f: &impl Fn(f64, f64) -> f64) -> f64 {
    let mut lanes = [0.0; LANES];
    let (a_chunks, b_chunks) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f64 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(&x, &y)| f(x, y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..LANES {
            lanes[lane] += f(x[lane], y[lane]);
        }
    }
    let mut width = LANES / 2;
    while width > 0 {
        for lane in 0..width {
            lanes[lane] += lanes[lane + width];
        }
        width /= 2;
    }
    lanes[0] + tail
}

impl Params {
    /// Whether `a · b` is the dot product `entry` remembers, either way round (a
    /// product of two numbers, and so the sum, is the same in either order).
    fn is_remembered(entry: &RememberedDot, a: &Params, b: &Params) -> bool {
        let same = |weak: &Weak<Vec<f64>>, factor: u64, p: &Params| {
            factor == p.factor.to_bits() && Weak::as_ptr(weak) == Arc::as_ptr(&p.values)
        };
        // Both operands are alive, so an address that matches is their vector.
        (same(&entry.a, entry.a_factor, a) && same(&entry.b, entry.b_factor, b))
            || (same(&entry.a, entry.a_factor, b) && same(&entry.b, entry.b_factor, a))
    }
}

impl ArgminDot<Params, f64> for Params {
    fn dot(&self, other: &Params) -> f64 {
        {
            let dots = DOTS.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(entry) = dots.iter().find(|e| Params::is_remembered(e, self, other)) {
                return entry.value;
            }
        }
        let value = self.sum_of(other, |a, b| a * b);
        // A vector's product with itself (argmin's yₖ·yₖ, asked once) is not asked again.
        if Arc::ptr_eq(&self.values, &other.values) && self.factor == other.factor {
            return value;
        }
        #[cfg(test)]
        MISSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut dots = DOTS.lock().unwrap_or_else(|e| e.into_inner());
        dots.retain(|e| e.a.strong_count() > 0 && e.b.strong_count() > 0);
        if dots.len() >= REMEMBERED_DOTS {
            dots.remove(0);
        }
        dots.push(RememberedDot {
            a: Arc::downgrade(&self.values),
            a_factor: self.factor.to_bits(),
            b: Arc::downgrade(&other.values),
            b_factor: other.factor.to_bits(),
            value,
        });
        value
    }
}

impl ArgminL2Norm<f64> for Params {
    fn l2_norm(&self) -> f64 {
        self.sum_of(self, |a, _| a * a).sqrt()
    }
}

impl ArgminL1Norm<f64> for Params {
    fn l1_norm(&self) -> f64 {
        self.sum_of(self, |a, _| a.abs())
    }
}

impl ArgminAdd<Params, Params> for Params {
    fn add(&self, other: &Params) -> Params {
        self.zip_map(other, |a, b| a + b)
    }
}

impl ArgminAdd<f64, Params> for Params {
    fn add(&self, other: &f64) -> Params {
        let c = *other;
        self.map(move |a| a + c)
    }
}

impl ArgminSub<Params, Params> for Params {
    fn sub(&self, other: &Params) -> Params {
        self.zip_map(other, |a, b| a - b)
    }
}

impl ArgminSub<f64, Params> for Params {
    fn sub(&self, other: &f64) -> Params {
        let c = *other;
        self.map(move |a| a - c)
    }
}

impl ArgminMul<f64, Params> for Params {
    /// Lazy: the vector is shared and the factor applied by whatever reads it next.
    /// A second product (argmin's `q.mul(γ).mul(-1)`) applies the pending factor
    /// first, so that `(v·a)·b` rounds as it would eagerly.
    fn mul(&self, other: &f64) -> Params {
        let values = if self.factor == 1.0 {
            Arc::clone(&self.values)
        } else {
            Arc::new(self.values().into_owned())
        };
        Params {
            values,
            factor: *other,
        }
    }
}

impl ArgminMul<Params, Params> for Params {
    fn mul(&self, other: &Params) -> Params {
        self.zip_map(other, |a, b| a * b)
    }
}

impl ArgminScaledAdd<Params, f64, Params> for Params {
    fn scaled_add(&self, factor: &f64, vec: &Params) -> Params {
        let c = *factor;
        self.zip_map(vec, move |a, b| a + c * b)
    }
}

impl ArgminSignum for Params {
    fn signum(self) -> Params {
        self.map(f64::signum)
    }
}

impl ArgminZeroLike for Params {
    fn zero_like(&self) -> Params {
        Params::new(vec![0.0; self.len()])
    }
}

/// argmin-math's comparisons, not `f64::min`/`max`: they differ on NaN and on ±0.
impl ArgminMinMax for Params {
    fn min(x: &Params, y: &Params) -> Params {
        x.zip_map(y, |a, b| if a < b { a } else { b })
    }

    fn max(x: &Params, y: &Params) -> Params {
        x.zip_map(y, |a, b| if a > b { a } else { b })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequence(n: usize, seed: u64) -> Params {
        // A fixed, sign-mixing sequence of magnitudes over many orders.
        let mut state = seed;
        Params::new(
            (0..n)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
                    (unit - 0.5) * 10f64.powi((state % 7) as i32 - 3)
                })
                .collect(),
        )
    }

    #[test]
    fn dot_products_agree_with_a_plain_sum() {
        for n in [0, 1, 7, 8, 9, BLOCK - 1, BLOCK, 3 * BLOCK + 5] {
            let (a, b) = (sequence(n, 1), sequence(n, 2));
            let plain: f64 = a
                .values()
                .iter()
                .zip(&*b.values())
                .map(|(x, y)| x * y)
                .sum();
            let scale: f64 = a
                .values()
                .iter()
                .zip(&*b.values())
                .map(|(x, y)| (x * y).abs())
                .sum();
            assert!(
                (a.dot(&b) - plain).abs() <= 1e-13 * scale.max(1.0),
                "n = {n}: {} against {plain}",
                a.dot(&b)
            );
            let l1: f64 = a.values().iter().map(|x| x.abs()).sum();
            assert!((a.l1_norm() - l1).abs() <= 1e-13 * l1.max(1.0));
        }
    }

    #[test]
    fn sums_do_not_depend_on_the_thread_count() {
        let (a, b) = (sequence(5 * BLOCK + 3, 3), sequence(5 * BLOCK + 3, 4));
        let on = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| (a.dot(&b).to_bits(), a.l2_norm().to_bits()))
        };
        assert_eq!(on(1), on(3));
    }

    #[test]
    fn a_product_by_a_scalar_is_applied_by_the_next_operation_as_eagerly() {
        let (q, y) = (sequence(3 * BLOCK + 11, 5), sequence(3 * BLOCK + 11, 6));
        let alpha = 0.37;
        let eager_y = Params::new(y.values().iter().map(|v| v * alpha).collect());
        let lazy_y = y.mul(&alpha);
        assert!(
            Arc::ptr_eq(&lazy_y.values, &y.values),
            "the product copied the vector"
        );
        assert_eq!(q.sub(&lazy_y).into_values(), q.sub(&eager_y).into_values());
        assert_eq!(q.add(&lazy_y).into_values(), q.add(&eager_y).into_values());
        assert_eq!(q.dot(&lazy_y).to_bits(), q.dot(&eager_y).to_bits());
        assert_eq!(lazy_y.l2_norm().to_bits(), eager_y.l2_norm().to_bits());
        assert_eq!(lazy_y.values(), eager_y.values());
        // A second product rounds as two eager products, not as one by α·0.3.
        let twice = lazy_y.mul(&0.3);
        let eager_twice: Vec<f64> = eager_y.values().iter().map(|v| v * 0.3).collect();
        assert_eq!(twice.into_values(), eager_twice);
    }

    #[test]
    fn element_wise_operations() {
        let a = Params::new(vec![1.0, -2.0, 0.0]);
        let b = Params::new(vec![0.5, 4.0, -1.0]);
        assert_eq!(a.add(&b).into_values(), vec![1.5, 2.0, -1.0]);
        assert_eq!(a.sub(&b).into_values(), vec![0.5, -6.0, 1.0]);
        assert_eq!(a.mul(&b).into_values(), vec![0.5, -8.0, -0.0]);
        assert_eq!(a.mul(&2.0).into_values(), vec![2.0, -4.0, 0.0]);
        assert_eq!(
            ArgminAdd::<f64, Params>::add(&a, &1.0).into_values(),
            vec![2.0, -1.0, 1.0]
        );
        assert_eq!(
            ArgminSub::<f64, Params>::sub(&a, &1.0).into_values(),
            vec![0.0, -3.0, -1.0]
        );
        assert_eq!(a.scaled_add(&2.0, &b).into_values(), vec![2.0, 6.0, -2.0]);
        assert_eq!(a.clone().signum().into_values(), vec![1.0, -1.0, 1.0]);
        assert_eq!(Params::min(&a, &b).into_values(), vec![0.5, -2.0, -1.0]);
        assert_eq!(Params::max(&a, &b).into_values(), vec![1.0, 4.0, 0.0]);
        assert_eq!(a.zero_like().into_values(), vec![0.0; 3]);
        // As argmin-math compares: the second argument on NaN and on a ±0 tie.
        let (n, z) = (
            Params::new(vec![f64::NAN, 0.0]),
            Params::new(vec![1.0, -0.0]),
        );
        let min = Params::min(&n, &z).into_values();
        assert_eq!((min[0], min[1].to_bits()), (1.0, (-0.0f64).to_bits()));
        let max = Params::max(&n, &z).into_values();
        assert_eq!((max[0], max[1].to_bits()), (1.0, (-0.0f64).to_bits()));
        assert_eq!(a.l2_norm(), 5f64.sqrt());
    }

    #[test]
    fn remembered_dot_products_are_never_those_of_other_vectors() {
        let plain = |a: &Params, b: &Params| lane_sum(&a.values(), &b.values(), &|x, y| x * y);
        let a = sequence(1000, 3);
        let b = sequence(1000, 4);
        let first = a.dot(&b);
        assert_eq!(first.to_bits(), plain(&a, &b).to_bits());
        assert_eq!(b.dot(&a).to_bits(), first.to_bits());
        // The same vector under a pending factor is another operand.
        let doubled = a.mul(&2.0);
        assert_eq!(doubled.dot(&b).to_bits(), plain(&doubled, &b).to_bits());
        assert_ne!(doubled.dot(&b), first);
        // A vector made after another was dropped may reuse its memory, never its result.
        for seed in 5..40 {
            let c = sequence(1000, seed);
            assert_eq!(a.dot(&c).to_bits(), plain(&a, &c).to_bits(), "seed {seed}");
        }
        let kept = b.clone();
        drop(b);
        assert_eq!(a.dot(&kept).to_bits(), first.to_bits());
    }

    #[test]
    fn a_dot_product_asked_again_is_not_computed_again() {
        use std::sync::atomic::Ordering::Relaxed;
        let (a, b) = (sequence(500, 41), sequence(500, 42));
        let first = a.dot(&b);
        // Other tests may compute dot products meanwhile: count only those around a
        // repeat that must hit, over many tries.
        let mut hits = 0;
        for _ in 0..100 {
            let before = MISSES.load(Relaxed);
            let again = b.dot(&a);
            assert_eq!(again.to_bits(), first.to_bits());
            if MISSES.load(Relaxed) == before {
                hits += 1;
            }
        }
        assert!(hits > 0, "the repeated dot product was computed every time");
    }
}
