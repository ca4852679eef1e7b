use super::key;
use crate::Error;

/// Most dense bucket cells a [`NativeConfig`] may ask for (512 KiB of cells).
const MAX_DENSE: i64 = 1 << 16;

/// The layout of a [`NativeHistogram`](super::NativeHistogram): its schema, its zero threshold,
/// and the range of positive values kept in a fixed array of buckets (the others go to spill
/// tables: the range sets speed and memory, never what is recorded or exported).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NativeConfig {
    schema: i8,
    zero_threshold: f64,
    lowest: f64,
    highest: f64,
}

impl Default for NativeConfig {
    /// Schema 3, zero threshold 2^-128 (client_golang's default), dense from 1e-9 to 3600 (1 ns
    /// to 1 h in seconds).
    fn default() -> Self {
        NativeConfig {
            schema: Self::DEFAULT_SCHEMA,
            zero_threshold: Self::DEFAULT_ZERO_THRESHOLD,
            lowest: 1e-9,
            highest: 3600.0,
        }
    }
}

impl NativeConfig {
    /// The default schema: neighbouring bucket boundaries a factor 2^(1/8) apart.
    pub const DEFAULT_SCHEMA: i8 = 3;
    /// The default zero threshold, 2^-128 (client_golang's `DefNativeHistogramZeroThreshold`).
    pub const DEFAULT_ZERO_THRESHOLD: f64 = 2.938_735_877_055_719e-39;
    /// The finest schema.
    pub const MAX_SCHEMA: i8 = 8;
    /// The coarsest schema.
    pub const MIN_SCHEMA: i8 = -4;

    /// The default configuration with schema `schema`: bucket boundaries a factor 2^(2^-schema)
    /// apart.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `schema` is from -4 to 8.
    pub fn new(schema: i8) -> Result<Self, Error> {
        if !(Self::MIN_SCHEMA..=Self::MAX_SCHEMA).contains(&schema) {
            return Err(Error::InvalidConfig(format!(
                "native histogram schema {schema}: expected -4 to 8"
            )));
        }
        Ok(NativeConfig {
            schema,
            ..Self::default()
        })
    }

    /// The default configuration with the largest schema whose bucket factor 2^(2^-schema) is at
    /// most `factor`, as client_golang's `NativeHistogramBucketFactor` picks it (8 for factors
    /// below 2^(2^-8), -4 for factors of 65,536 and above).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `factor` is a finite number above 1.
    pub fn from_bucket_factor(factor: f64) -> Result<Self, Error> {
        if !(factor > 1.0 && factor.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "native histogram bucket factor {factor}: expected a finite number above 1"
            )));
        }
        let floor = factor.log2().log2().floor();
        let schema = if floor <= -8.0 {
            Self::MAX_SCHEMA
        } else if floor >= 4.0 {
            Self::MIN_SCHEMA
        } else {
            -(floor as i8)
        };
        Self::new(schema)
    }

    /// This configuration with values of magnitude at most `threshold` counted in the zero
    /// bucket.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `threshold` is finite and not negative.
    pub fn with_zero_threshold(self, threshold: f64) -> Result<Self, Error> {
        if !(threshold >= 0.0 && threshold.is_finite()) {
            return Err(Error::InvalidConfig(format!(
                "native histogram zero threshold {threshold}: expected a finite number >= 0"
            )));
        }
        Ok(NativeConfig {
            zero_threshold: threshold,
            ..self
        })
    }

    /// This configuration with the positive values from `lowest` to `highest` kept in the dense
    /// array (one `u64` cell per bucket of that range).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `0 < lowest <= highest`, both finite, and the range
    /// spans at most 65,536 buckets.
    pub fn with_dense_range(self, lowest: f64, highest: f64) -> Result<Self, Error> {
        let ok = lowest > 0.0 && lowest <= highest && highest.is_finite();
        let c = NativeConfig {
            lowest,
            highest,
            ..self
        };
        if !ok || c.dense_len() > MAX_DENSE {
            return Err(Error::InvalidConfig(format!(
                "native histogram dense range {lowest} to {highest}: expected 0 < lowest <= \
                 highest, finite, over at most {MAX_DENSE} buckets"
            )));
        }
        Ok(c)
    }

    /// The schema.
    pub fn schema(&self) -> i8 {
        self.schema
    }

    /// The zero threshold.
    pub fn zero_threshold(&self) -> f64 {
        self.zero_threshold
    }

    /// The range of positive values kept in the dense array.
    pub fn dense_range(&self) -> (f64, f64) {
        (self.lowest, self.highest)
    }

    /// The factor between neighbouring bucket boundaries, 2^(2^-schema).
    pub fn bucket_factor(&self) -> f64 {
        (-f64::from(self.schema)).exp2().exp2()
    }

    /// The largest relative error of a value estimated anywhere in its bucket: the bucket
    /// factor minus one (0.0905 at schema 3).
    pub fn relative_error(&self) -> f64 {
        self.bucket_factor() - 1.0
    }

    /// The keys of the first and last dense buckets.
    pub(crate) fn dense_keys(&self) -> (i32, i32) {
        (
            key(self.lowest, self.schema),
            key(self.highest, self.schema),
        )
    }

    fn dense_len(&self) -> i64 {
        let (first, last) = self.dense_keys();
        i64::from(last) - i64::from(first) + 1
    }
}
