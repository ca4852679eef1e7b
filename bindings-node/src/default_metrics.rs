//! Default metrics, the native half of `registry.registerDefaultMetrics()` (lib/default-metrics.js):
//! the core's process metrics, and collected gauges for the Node.js ones, which the JS half sets
//! just before each export of `metrics()`.

use atomicperf::Registry;

use crate::callback::{self, callbacks, export, Export};
use crate::convert;
use crate::handle;
use crate::registry::{registry_error, Key};

callbacks! {
    /// `registryRegisterProcessMetrics(h)`: the core's process metrics, read at each export.
    fn registry_register_process_metrics(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let registry = handle::get::<Registry>(env, h)?;
        registry.register_process_metrics().map_err(registry_error)?;
        convert::undefined(env)
    }

    /// `registryCollectedGauge(h, name, help?, labels: string[]): Gauge handle`: a series of a
    /// collected gauge family (set before an export; a gauge or counter look-up of the name
    /// fails).
    fn registry_collected_gauge(env, info) {
        let [h, name, help, labels] = callback::args::<4>(env, info)?;
        let registry = handle::get::<Registry>(env, h)?;
        let key = Key::read(env, name, help, labels)?;
        let metric = registry
            .collected_gauge(&key.name, &key.help, &key.labels())
            .map_err(registry_error)?;
        handle::new_arc(env, metric)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!(
        "registryRegisterProcessMetrics",
        registry_register_process_metrics
    ),
    export!("registryCollectedGauge", registry_collected_gauge),
];
