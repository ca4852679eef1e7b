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
    pub(super) fn new(
        config: HistogramConfig,
        counts: Vec<u64>,
        sum: u64,
        min: u64,
        max: u64,
        overflow: u64,
    ) -> Self {
        let count = counts.iter().fold(0u64, |a, &c| a.wrapping_add(c));
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

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of the values, wrapping at 2^64.
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// Smallest value, `None` when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value, `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// Arithmetic mean, `None` when empty.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
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
            seen += n;
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
