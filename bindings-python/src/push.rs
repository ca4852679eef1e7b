//! The Pushgateway URL of a group, by core's rule (`atomicperf.prometheus.push_to_gateway` and
//! its peers send their requests there with `urllib.request`).

use atomicperf as ap;
use pyo3::prelude::*;

use crate::errors::to_pyerr;

/// The URL of the Pushgateway group `job` with the `grouping_key` labels (in their order):
/// core's `pushgateway_url`, so that every language encodes alike. A `ValueError` for an empty
/// job, an invalid grouping label name or an invalid gateway address.
#[pyfunction]
#[pyo3(signature = (gateway, job, grouping_key=None))]
pub fn pushgateway_url(
    gateway: &str,
    job: &str,
    grouping_key: Option<Vec<(String, String)>>,
) -> PyResult<String> {
    let grouping = grouping_key.unwrap_or_default();
    let pairs: Vec<(&str, &str)> = grouping
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    ap::pushgateway_url(gateway, job, &pairs).map_err(to_pyerr)
}
