//! The Pushgateway URL of a group, by the core's rule: the JS `Pushgateway` class
//! (`lib/push.js`) sends its requests there with Node's http/https modules.

use atomicperf::pushgateway_url;

use crate::callback::{self, callbacks, export, Export};
use crate::convert;
use crate::error::Fail;
use crate::registry::registry_error;

callbacks! {
    /// `pushgatewayUrl(gateway: string, job: string, groupings: string[]): string`: the core's
    /// `pushgateway_url`, with the grouping labels as a flat `[name0, value0, ...]` array. An
    /// invalid job, label name or gateway is an Error with code `AP_ERR_INVALID_ARGUMENT`.
    fn pushgateway_url_of(env, info) {
        let [gateway, job, groupings] = callback::args::<3>(env, info)?;
        let gateway = convert::to_string(env, gateway, "gateway")?;
        let job = convert::to_string(env, job, "jobName")?;
        let flat = convert::to_array(env, groupings, "groupings")?;
        if flat.len() % 2 != 0 {
            return Err(Fail::type_error("groupings must be a flat array of name, value pairs"));
        }
        let mut pairs = Vec::with_capacity(flat.len() / 2);
        for pair in flat.chunks_exact(2) {
            let name = convert::to_string(env, pair[0], "a grouping label name")?;
            let value = convert::to_string(env, pair[1], "a grouping label value")?;
            pairs.push((name, value));
        }
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let url = pushgateway_url(&gateway, &job, &pairs).map_err(registry_error)?;
        convert::string(env, &url)
    }
}

pub(crate) const EXPORTS: &[Export] = &[export!("pushgatewayUrl", pushgateway_url_of)];
