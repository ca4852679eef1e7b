//! The Prometheus data model's rules for metric and label names, and the text format's escaping.

use crate::Error;

/// A metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub(crate) fn check_metric_name(name: &str) -> Result<(), Error> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "invalid metric name {name:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*"
        )))
    }
}

/// A label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved), and not a name
/// the exposition itself uses for the kind (`le` for histograms).
pub(crate) fn check_label_name(name: &str, reserved: &[&str]) -> Result<(), Error> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(Error::InvalidArgument(format!(
            "invalid label name {name:?}: must match [a-zA-Z_][a-zA-Z0-9_]*"
        )));
    }
    if name.starts_with("__") {
        return Err(Error::InvalidArgument(format!(
            "label name {name:?} is reserved: names starting with __ are"
        )));
    }
    if reserved.contains(&name) {
        return Err(Error::InvalidArgument(format!(
            "label name {name:?} is reserved for this metric kind"
        )));
    }
    Ok(())
}

/// The names of a label set, each checked by `check` and none given twice (the message calls
/// them `what`: "label", "info label"...): one rule for every label set the library takes.
pub(crate) fn check_label_set<'a>(
    names: impl IntoIterator<Item = &'a str>,
    what: &str,
    mut check: impl FnMut(&str) -> Result<(), Error>,
) -> Result<(), Error> {
    // The first names on the stack (a label set rarely has more), the rest in a Vec: no
    // allocation for the usual set.
    let mut first: [&str; 16] = [""; 16];
    let mut more: Vec<&str> = Vec::new();
    for (n, name) in names.into_iter().enumerate() {
        check(name)?;
        if first[..n.min(first.len())].contains(&name) || more.contains(&name) {
            return Err(Error::InvalidArgument(format!(
                "{what} {name:?} is given twice"
            )));
        }
        match first.get_mut(n) {
            Some(slot) => *slot = name,
            None => more.push(name),
        }
    }
    Ok(())
}

/// Escapes a label value for the text formats, and HELP text for OpenMetrics: backslash, double
/// quote and newline.
pub(crate) fn escape_label_value(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Escapes HELP text for the Prometheus text format 0.0.4: backslash and newline (a double quote
/// stays as it is there).
pub(crate) fn escape_help(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// A sample value as the text formats write it (`+Inf`, `-Inf`, `NaN`, else Rust's shortest
/// round-trip form).
pub(crate) fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn metric_names_follow_the_data_model() {
        for good in ["a", "http_requests_total", ":colon:ok", "_x9"] {
            assert!(check_metric_name(good).is_ok(), "{good}");
        }
        for bad in ["", "9lives", "has-dash", "has space", "é"] {
            assert!(check_metric_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn label_names_follow_the_data_model_and_reservations() {
        assert!(check_label_name("method", &[]).is_ok());
        for bad in ["", "1x", "a:b", "__name__", "__x"] {
            assert!(check_label_name(bad, &[]).is_err(), "{bad}");
        }
        assert!(check_label_name("le", &["le"]).is_err());
    }

    #[test]
    fn escaping_covers_backslash_quote_and_newline() {
        let mut s = String::new();
        escape_label_value("a\\b\"c\nd", &mut s);
        assert_eq!(s, "a\\\\b\\\"c\\nd");
        let mut h = String::new();
        escape_help("x\\y\n\"z\"", &mut h);
        assert_eq!(h, "x\\\\y\\n\"z\"");
    }

    #[test]
    fn special_values_are_spelled_as_prometheus_expects() {
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(3.0), "3");
    }
}
