use super::HistogramConfig;
use crate::Error;

/// A plain copy of a [`Histogram`](crate::Histogram)'s state, taken by
/// [`Histogram::snapshot`](crate::Histogram::snapshot): read as many statistics as needed from
/// one moment, send it to another thread, or merge it elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    config: HistogramConfig,
    counts: Vec<u64>,
    count: u64,
    sum: u64,
    min: u64,
    max: u64,
    overflow: u64,
}

impl HistogramSnapshot {
    pub(crate) fn new(
        config: HistogramConfig,
        counts: Vec<u64>,
        sum: u64,
        min: u64,
        max: u64,
        overflow: u64,
    ) -> Self {
        let count = counts.iter().fold(0u64, |a, &c| a.saturating_add(c));
        HistogramSnapshot {
            config,
            counts,
            count,
            sum,
            min,
            max,
            overflow,
        }
    }

    /// The bucket layout.
    pub fn config(&self) -> &HistogramConfig {
        &self.config
    }

    /// Count per bucket, indexed as [`HistogramConfig::index`].
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Number of values (saturating at `u64::MAX`, see [`Histogram`](crate::Histogram)).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the values, wrapping at 2^64 (see [`sum_f64`](Self::sum_f64) for the unwrapped sum).
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// The sum of the values without the wrapping of [`sum`](Self::sum): exact (up to `f64`
    /// rounding) when the sum stayed below 2^64. Past that, the true sum is the one value
    /// congruent to `sum()` modulo 2^64 that lies nearest the buckets' own estimate (each value
    /// taken at its bucket's midpoint, within the configured relative error), which is exact
    /// whenever that estimate is closer than 2^63 to the truth. Used by [`mean`](Self::mean) and
    /// by the registry's exported `_sum`.
    pub fn sum_f64(&self) -> f64 {
        const WRAP: f64 = 18_446_744_073_709_551_616.0; // 2^64
        if self.count == 0 {
            return 0.0;
        }
        // No wrap possible: every value is at most max, so the sum is at most count * max.
        if (self.count as u128) * (self.max as u128) <= u64::MAX as u128 {
            return self.sum as f64;
        }
        let estimate: f64 = self
            .counts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, &n)| n as f64 * self.config.bucket_value(i) as f64)
            .sum();
        let wraps = ((estimate - self.sum as f64) / WRAP).round().max(0.0);
        self.sum as f64 + wraps * WRAP
    }

    /// Smallest value, `None` when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value, `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Arithmetic mean, `None` when empty (of the unwrapped sum, [`sum_f64`](Self::sum_f64)).
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum_f64() / self.count as f64)
    }

    /// Values that were clamped to the highest trackable value.
    pub fn overflow_count(&self) -> u64 {
        self.overflow
    }

    /// The value at quantile `q`: the midpoint of the bucket holding the value of rank
    /// `max(1, ceil(q * count))`, kept within `[min, max]`; ranks 1 and `count` give the exact min
    /// and max. `None` when empty.
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<u64>, Error> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::InvalidQuantile(q));
        }
        if self.count == 0 {
            return Ok(None);
        }
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        // The extremes are kept exactly: rank 1 is the min and the last rank the max.
        if rank == 1 && self.min <= self.max {
            return Ok(Some(self.min));
        }
        if rank == self.count && self.min <= self.max {
            return Ok(Some(self.max));
        }
        let mut seen = 0u64;
        for (i, &n) in self.counts.iter().enumerate() {
            seen = seen.saturating_add(n);
            if seen >= rank {
                let v = self.config.bucket_value(i);
                // A reset racing the snapshot can leave min > max; then there is nothing to clamp to.
                return Ok(Some(if self.min <= self.max {
                    v.clamp(self.min, self.max)
                } else {
                    v
                }));
            }
        }
        Ok(Some(self.max))
    }
}
