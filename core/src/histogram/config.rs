use crate::Error;

/// The bucket layout of a [`Histogram`](crate::Histogram): precision and range.
///
/// Buckets are log-linear, as in HdrHistogram: values below `2^(m+1)` each get a bucket of their
/// own, and every further power of two is split into `2^m` equal buckets, where `m` is the smallest
/// number with `2^(m+1) >= 10^significant_figures`. A bucket's width is therefore at most
/// `2^-m` of its lowest value, and reporting its midpoint keeps the error within
/// `2^-(m+1) <= 10^-significant_figures` of any value in it. HdrHistogram reports a bucket edge and
/// needs twice the buckets for the same guarantee.
///
/// | significant figures | relative error bound | buckets per power of two |
/// |---|---|---|
/// | 1 | 6.25 % | 8 |
/// | 2 (default) | 0.78 % | 64 |
/// | 3 | 0.098 % | 512 |
/// | 4 | 0.0061 % | 8192 |
/// | 5 | 0.00076 % | 65536 |
///
/// The default, 2 significant figures up to 60 s in nanoseconds, takes 1,968 buckets (15,744 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramConfig {
    significant_figures: u8,
    highest: u64,
    sub_bits: u32,
    len: usize,
}

impl HistogramConfig {
    /// Default precision: 2 significant figures (relative error at most 0.78 %).
    pub const DEFAULT_SIGNIFICANT_FIGURES: u8 = 2;
    /// Default highest trackable value: 60 s in nanoseconds.
    pub const DEFAULT_HIGHEST: u64 = 60_000_000_000;

    /// A layout tracking values from 0 to `highest` with `significant_figures` of precision.
    ///
    /// # Errors
    /// [`Error::InvalidPrecision`] unless `significant_figures` is 1 to 5;
    /// [`Error::InvalidHighestValue`] if `highest < 2`.
    pub fn new(significant_figures: u8, highest: u64) -> Result<Self, Error> {
        if !(1..=5).contains(&significant_figures) {
            return Err(Error::InvalidPrecision(significant_figures));
        }
        if highest < 2 {
            return Err(Error::InvalidHighestValue(highest));
        }
        let decimal = 10u64.pow(u32::from(significant_figures));
        let sub_bits = (0..64)
            .find(|b| (1u64 << (b + 1)) >= decimal)
            .expect("10^5 < 2^64");
        let mut config = HistogramConfig {
            significant_figures,
            highest,
            sub_bits,
            len: 0,
        };
        config.len = config.index(highest) + 1;
        Ok(config)
    }

    /// Significant figures of precision (1 to 5).
    pub fn significant_figures(&self) -> u8 {
        self.significant_figures
    }

    /// Highest trackable value; larger values are clamped to it and counted as overflow.
    pub fn highest(&self) -> u64 {
        self.highest
    }

    /// Number of buckets.
    pub fn bucket_count(&self) -> usize {
        self.len
    }

    /// The `m` of the layout: values below `2^(m+1)` have a bucket each, and every further power
    /// of two is split into `2^m` buckets (3, 6, 9, 13 or 16 for 1 to 5 significant figures).
    /// [`index`](Self::index) is a function of `sub_bits` alone.
    pub fn sub_bits(&self) -> u32 {
        self.sub_bits
    }

    /// Largest relative distance between a reported quantile and the true value it stands for.
    pub fn relative_error(&self) -> f64 {
        0.5f64.powi(self.sub_bits as i32 + 1)
    }

    /// Index of the bucket holding `v` (which must not exceed [`highest`](Self::highest)).
    #[inline]
    pub fn index(&self, v: u64) -> usize {
        let mask = (1u64 << (self.sub_bits + 1)) - 1;
        // Power-of-two band of v above the exact region: 0 for v < 2^(m+1).
        let k = 63 - (v | mask).leading_zeros() - self.sub_bits;
        (((k as u64) << self.sub_bits) + (v >> k)) as usize
    }

    /// Lowest value that lands in bucket `i`.
    pub fn bucket_low(&self, i: usize) -> u64 {
        let (k, sub) = self.band(i);
        sub << k
    }

    /// Highest value that lands in bucket `i` (never above [`highest`](Self::highest)).
    pub fn bucket_high(&self, i: usize) -> u64 {
        let (k, sub) = self.band(i);
        ((sub << k) + ((1u64 << k) - 1)).min(self.highest)
    }

    /// The value reported for anything in bucket `i`: its midpoint, rounded down.
    pub fn bucket_value(&self, i: usize) -> u64 {
        let (k, sub) = self.band(i);
        (sub << k) + ((1u64 << k) - 1) / 2
    }

    fn band(&self, i: usize) -> (u32, u64) {
        let i = i as u64;
        let k = (i >> self.sub_bits).max(1) - 1;
        (k as u32, i - (k << self.sub_bits))
    }
}

impl Default for HistogramConfig {
    fn default() -> Self {
        Self::new(Self::DEFAULT_SIGNIFICANT_FIGURES, Self::DEFAULT_HIGHEST).expect("valid default")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn default_fits_in_16_kib() {
        let c = HistogramConfig::default();
        assert_eq!(c.bucket_count(), 1968);
        assert!(c.bucket_count() * 8 <= 16 * 1024);
    }

    #[test]
    fn rejects_precision_outside_1_to_5_and_tiny_ranges() {
        assert_eq!(
            HistogramConfig::new(0, 1000),
            Err(Error::InvalidPrecision(0))
        );
        assert_eq!(
            HistogramConfig::new(6, 1000),
            Err(Error::InvalidPrecision(6))
        );
        assert_eq!(
            HistogramConfig::new(2, 1),
            Err(Error::InvalidHighestValue(1))
        );
        assert!(HistogramConfig::new(5, u64::MAX).is_ok());
    }

    #[test]
    fn buckets_tile_the_range_without_gaps_or_overlap() {
        for s in 1..=3 {
            let c = HistogramConfig::new(s, 1 << 20).unwrap();
            let mut next = 0u64;
            for i in 0..c.bucket_count() {
                assert_eq!(c.bucket_low(i), next, "sigfigs {s} bucket {i}");
                assert_eq!(c.index(c.bucket_low(i)), i);
                assert_eq!(c.index(c.bucket_high(i)), i);
                next = c.bucket_high(i) + 1;
            }
            assert_eq!(next, c.highest() + 1);
        }
    }

    #[test]
    fn bucket_value_is_within_relative_error_of_every_member() {
        let c = HistogramConfig::default();
        for i in 0..c.bucket_count() {
            let (lo, hi, mid) = (c.bucket_low(i), c.bucket_high(i), c.bucket_value(i));
            for v in [lo, hi] {
                let err = (mid as f64 - v as f64).abs();
                assert!(
                    err <= v as f64 * c.relative_error(),
                    "bucket {i}: {v} vs {mid}"
                );
            }
        }
    }

    #[test]
    fn index_of_u64_max_is_the_last_bucket() {
        let c = HistogramConfig::new(1, u64::MAX).unwrap();
        assert_eq!(c.index(u64::MAX), c.bucket_count() - 1);
        assert_eq!(c.bucket_high(c.bucket_count() - 1), u64::MAX);
    }
}
