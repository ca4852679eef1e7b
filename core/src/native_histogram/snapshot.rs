use super::bound;
use crate::Error;

/// A run of consecutive buckets in a native histogram's exposition: `offset` buckets after the
/// previous span (after key 0 for the first), `length` buckets long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketSpan {
    /// Gap from the end of the previous span (from bucket 0 for the first span).
    pub offset: i32,
    /// Buckets in the span.
    pub length: u32,
}

/// A copy of a [`NativeHistogram`](super::NativeHistogram)'s state: schema, zero bucket, NaN
/// count, sum, and the non-empty buckets by key, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeSnapshot {
    schema: i8,
    zero_threshold: f64,
    zero_count: u64,
    nan_count: u64,
    sum: f64,
    positive: Vec<(i32, u64)>,
    negative: Vec<(i32, u64)>,
}

/// One bucket as `histogram_quantile` walks them: its bounds and count.
struct Bucket {
    lower: f64,
    upper: f64,
    count: f64,
}

impl NativeSnapshot {
    pub(super) fn new(
        schema: i8,
        zero_threshold: f64,
        zero_count: u64,
        nan_count: u64,
        sum: f64,
        positive: Vec<(i32, u64)>,
        negative: Vec<(i32, u64)>,
    ) -> Self {
        NativeSnapshot {
            schema,
            zero_threshold,
            zero_count,
            nan_count,
            sum,
            positive,
            negative,
        }
    }

    /// The schema.
    pub fn schema(&self) -> i8 {
        self.schema
    }

    /// The zero threshold.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// Values in the zero bucket.
    pub fn zero_count(&self) -> u64 {
        self.zero_count
    }

    /// NaN values recorded (in the count, in no bucket).
    pub fn nan_count(&self) -> u64 {
        self.nan_count
    }

    /// Number of recorded values, NaN included.
    pub fn count(&self) -> u64 {
        let buckets = self.positive.iter().chain(&self.negative).map(|&(_, n)| n);
        buckets.fold(
            self.zero_count.wrapping_add(self.nan_count),
            u64::wrapping_add,
        )
    }

    /// Sum of the recorded values.
    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// The non-empty buckets of positive values: (key, count), by key. Bucket `k` holds the
    /// values above [`bucket_bound(k - 1)`](Self::bucket_bound) up to `bucket_bound(k)`.
    pub fn positive(&self) -> &[(i32, u64)] {
        &self.positive
    }

    /// The non-empty buckets of negative values: (key, count), by key; bucket `k` holds the
    /// values whose magnitude is in positive bucket `k`.
    pub fn negative(&self) -> &[(i32, u64)] {
        &self.negative
    }

    /// The upper bound of positive bucket `key` at this schema (+∞ past the largest finite
    /// value).
    pub fn bucket_bound(&self, key: i32) -> f64 {
        bound(key, self.schema)
    }

    /// Values whose bucket lies wholly at or below `le`: what a classic bucket with upper bound
    /// `le` counts from these buckets (exact when `le` is a bucket boundary, such as a power of
    /// two; NaN values count in none).
    pub fn cumulative_count(&self, le: f64) -> u64 {
        let s = self.schema;
        let negative = self
            .negative
            .iter()
            .filter(|&&(k, _)| -bound(k - 1, s) <= le);
        let zero = if self.zero_threshold <= le {
            self.zero_count
        } else {
            0
        };
        let positive = self
            .positive
            .iter()
            .take_while(|&&(k, _)| bound(k, s) <= le);
        negative
            .chain(positive)
            .fold(zero, |acc, &(_, n)| acc.wrapping_add(n))
    }

    /// The positive buckets as the exposition encodes them: spans and the count deltas (each
    /// bucket's count minus the previous bucket's), with gaps of one or two empty buckets
    /// filled in rather than starting a new span, exactly as client_golang encodes them.
    pub fn positive_spans(&self) -> (Vec<BucketSpan>, Vec<i64>) {
        spans(&self.positive)
    }

    /// The negative buckets as [`positive_spans`](Self::positive_spans) encodes the positive.
    pub fn negative_spans(&self) -> (Vec<BucketSpan>, Vec<i64>) {
        spans(&self.negative)
    }

    /// The value of rank `q` (0 to 1), estimated as Prometheus' `histogram_quantile` estimates
    /// it from a native histogram: the bucket holding that rank is found (from the top for
    /// `q >= 0.5` unless NaN was recorded), and the position inside it is interpolated
    /// exponentially (linearly in the zero bucket, whose lower bound is 0 when no negative value
    /// was recorded). `None` while empty. Within [`NativeConfig::relative_error`] of the
    /// value of that rank.
    ///
    /// [`NativeConfig::relative_error`]: super::NativeConfig::relative_error
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<f64>, Error> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::InvalidQuantile(q));
        }
        let total = self.count() as f64;
        if self.count() == 0 {
            return Ok(None);
        }
        let forward = self.sum.is_nan() || q < 0.5;
        let mut buckets = self.buckets();
        let mut rank = if forward {
            q * total
        } else {
            buckets.reverse();
            (1.0 - q) * total
        };
        let mut count = 0.0;
        let mut at = None;
        for b in buckets.into_iter().filter(|b| b.count > 0.0) {
            count += b.count;
            let done = count >= rank;
            at = Some(b);
            if done {
                break;
            }
        }
        let Some(mut b) = at else {
            // Only NaN was recorded: no bucket holds a value.
            return Ok(Some(f64::NAN));
        };
        if b.lower < 0.0 && b.upper > 0.0 {
            if self.negative.is_empty() && !self.positive.is_empty() {
                b.lower = 0.0;
            } else if self.positive.is_empty() && !self.negative.is_empty() {
                b.upper = 0.0;
            }
        }
        if count < rank {
            // NaN values hold the top ranks: the highest bucket's bound is the answer.
            return Ok(Some(b.upper));
        }
        rank = if forward {
            rank - (count - b.count)
        } else {
            count - rank
        };
        let fraction = rank / b.count;
        if b.lower <= 0.0 && b.upper >= 0.0 {
            return Ok(Some(b.lower + (b.upper - b.lower) * fraction));
        }
        let (lo, hi) = (b.lower.abs().log2(), b.upper.abs().log2());
        Ok(Some(if b.lower > 0.0 {
            (lo + (hi - lo) * fraction).exp2()
        } else {
            -(hi + (lo - hi) * (1.0 - fraction)).exp2()
        }))
    }

    /// Every bucket from the most negative values up: negative buckets, the zero bucket (when it
    /// holds values), positive buckets.
    fn buckets(&self) -> Vec<Bucket> {
        let s = self.schema;
        let negative = self.negative.iter().rev().map(|&(k, n)| Bucket {
            lower: -bound(k, s),
            upper: -bound(k - 1, s),
            count: n as f64,
        });
        let zero = (self.zero_count > 0).then_some(Bucket {
            lower: -self.zero_threshold,
            upper: self.zero_threshold,
            count: self.zero_count as f64,
        });
        let positive = self.positive.iter().map(|&(k, n)| Bucket {
            lower: bound(k - 1, s),
            upper: bound(k, s),
            count: n as f64,
        });
        negative.chain(zero).chain(positive).collect()
    }
}

/// Spans and deltas of buckets sorted by key (client_golang's `makeBuckets`).
fn spans(buckets: &[(i32, u64)]) -> (Vec<BucketSpan>, Vec<i64>) {
    let mut spans: Vec<BucketSpan> = Vec::new();
    let mut deltas = Vec::new();
    let (mut prev, mut next) = (0i64, 0i32);
    for (n, &(k, count)) in buckets.iter().enumerate() {
        let gap = k.wrapping_sub(next);
        if n == 0 || gap > 2 {
            spans.push(BucketSpan {
                offset: gap,
                length: 0,
            });
        } else {
            for _ in 0..gap {
                spans.last_mut().expect("a span").length += 1;
                deltas.push(-prev);
                prev = 0;
            }
        }
        spans.last_mut().expect("a span").length += 1;
        deltas.push(count as i64 - prev);
        prev = count as i64;
        next = k.wrapping_add(1);
    }
    (spans, deltas)
}
