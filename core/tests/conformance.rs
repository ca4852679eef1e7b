//! The shared conformance cases (tests/conformance/cases/*.txt, format in
//! tests/conformance/README.md) run against the Rust core. The C, Go, Python and Node runners
//! execute the same files.

// Each operation's result, `()` included, becomes a `Val` in one expression: that is the
// interpreter's whole shape, so clippy's advice to hoist unit-returning calls does not apply.
#![allow(clippy::unit_arg)]

use atomicperf::{
    negotiate, Counter, Enum, Error, ExportFormat, Gauge, GaugeMode, Histogram, HistogramOpts,
    Info, Ledger, MinMax, NativeConfig, NativeHistogram, OnceMap, Registry, ShardedMap,
    SharedOptions, SharedRegistry, SnapshotCell, Status, Timer,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// One token: its text (quotes removed, escapes applied) and whether any part was quoted.
#[derive(Clone, Debug)]
struct Tok {
    text: String,
    quoted: bool,
}

fn tokenize(line: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            return toks;
        }
        let (mut text, mut quoted, mut in_quote) = (String::new(), false, false);
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    in_quote = !in_quote;
                    quoted = true;
                }
                '\\' if in_quote => match chars.next() {
                    Some('n') => text.push('\n'),
                    Some(e) => text.push(e),
                    None => {}
                },
                c if c.is_whitespace() && !in_quote => break,
                c => text.push(c),
            }
        }
        toks.push(Tok { text, quoted });
    }
}

/// One operation line: tokens before `->`, the expectation after it, and a `text` block.
struct Step {
    line: usize,
    op: Vec<Tok>,
    expect: Option<Vec<Tok>>,
    text: String,
}

struct Case {
    file: String,
    name: String,
    line: usize,
    steps: Vec<Step>,
}

fn parse(file: &str, src: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix('|') {
            let step = cases.last_mut().and_then(|c| c.steps.last_mut());
            let step = step.unwrap_or_else(|| panic!("{file}:{}: text outside a step", i + 1));
            step.text.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            step.text.push('\n');
            continue;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let toks = tokenize(line);
        if toks[0].text == "case" && !toks[0].quoted {
            cases.push(Case {
                file: file.to_string(),
                name: toks[1].text.clone(),
                line: i + 1,
                steps: Vec::new(),
            });
            continue;
        }
        let arrow = toks.iter().position(|t| t.text == "->" && !t.quoted);
        let (op, expect) = match arrow {
            Some(a) => (toks[..a].to_vec(), Some(toks[a + 1..].to_vec())),
            None => (toks, None),
        };
        let case = cases
            .last_mut()
            .unwrap_or_else(|| panic!("{file}:{}: step before any case", i + 1));
        case.steps.push(Step {
            line: i + 1,
            op,
            expect,
            text: String::new(),
        });
    }
    cases
}

/// What an operation returned.
#[derive(Debug)]
enum Val {
    Unit,
    None,
    Int(i128),
    Float(f64),
    Bool(bool),
    Bytes(Vec<u8>),
    Text(String),
    /// An `O.fail` whose initialiser's own failure reached the caller.
    Failed,
}

enum Obj {
    Counter(Arc<Counter>),
    Gauge(Arc<Gauge>),
    MinMax(Arc<MinMax>),
    Histogram(Arc<Histogram>),
    Timer(Arc<Timer>),
    Registry(Arc<Registry>),
    Shared(Arc<SharedRegistry>),
    Native(NativeHistogram),
    Ledger(Ledger),
    OnceMap(OnceMap<Vec<u8>, Vec<u8>>),
    Cell(SnapshotCell<Vec<u8>>),
    Map(ShardedMap<Vec<u8>, Vec<u8>>),
    Info(Arc<Info>),
    Enum(Arc<Enum>),
}

/// `k=v` tokens as label pairs.
fn pairs(a: &[Tok]) -> Vec<(String, String)> {
    a.iter()
        .map(|t| {
            let (k, v) = t.text.split_once('=').expect("label k=v");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn refs(p: &[(String, String)]) -> Vec<(&str, &str)> {
    p.iter().map(|(k, v)| (&**k, &**v)).collect()
}

fn int(t: &Tok) -> i128 {
    t.text
        .parse()
        .unwrap_or_else(|_| panic!("not an integer: {:?}", t.text))
}
fn u(t: &Tok) -> u64 {
    int(t) as u64
}
fn float(t: &Tok) -> f64 {
    t.text
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {:?}", t.text))
}
fn bytes(t: &Tok) -> Vec<u8> {
    t.text.as_bytes().to_vec()
}
fn opt_u(v: Option<u64>) -> Val {
    v.map_or(Val::None, |v| Val::Int(v as i128))
}
fn opt_f(v: Option<f64>) -> Val {
    v.map_or(Val::None, Val::Float)
}

type Res = Result<Val, Status>;

fn st(e: Error) -> Status {
    e.status()
}

/// An in-process or a shared registry.
enum Reg<'a> {
    Local(&'a Registry),
    Shared(&'a SharedRegistry),
}

/// Registers a metric of a registry:
/// `R.kind NAME HELP [k=v]... [@buckets=..] [@mode=..] [as VAR]`.
fn register(r: Reg, kind: &str, args: &[Tok], vars: &mut HashMap<String, Obj>) -> Res {
    let (name, help) = (&args[0].text, &args[1].text);
    let mut labels = Vec::new();
    let mut buckets = None;
    let mut mode = None;
    let mut states: Vec<String> = Vec::new();
    let mut bind = None;
    let mut i = 2;
    while i < args.len() {
        let t = &args[i].text;
        if t == "as" {
            bind = Some(args[i + 1].text.clone());
            i += 2;
            continue;
        }
        if let Some(b) = t.strip_prefix("@buckets=") {
            buckets = Some(
                b.split(',')
                    .map(|x| x.parse::<f64>().unwrap())
                    .collect::<Vec<_>>(),
            );
        } else if let Some(s) = t.strip_prefix("@states=") {
            states = s.split(',').map(str::to_string).collect();
        } else if let Some(m) = t.strip_prefix("@mode=") {
            mode = Some(GaugeMode::from_name(m).map_err(st)?);
        } else {
            let (k, v) = t.split_once('=').expect("label k=v");
            labels.push((k.to_string(), v.to_string()));
        }
        i += 1;
    }
    let labels: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (&**k, &**v)).collect();
    let opts = buckets.map_or_else(HistogramOpts::default, HistogramOpts::plain);
    let obj = match (r, kind) {
        (Reg::Local(r), "counter") => Obj::Counter(r.counter(name, help, &labels).map_err(st)?),
        (Reg::Local(r), "gauge") => Obj::Gauge(r.gauge(name, help, &labels).map_err(st)?),
        (Reg::Local(r), "timer") => Obj::Timer(r.timer(name, help, &labels).map_err(st)?),
        (Reg::Local(r), "minmax") => Obj::MinMax(r.minmax(name, help, &labels).map_err(st)?),
        (Reg::Local(r), "histogram") => {
            Obj::Histogram(r.histogram(name, help, &labels, &opts).map_err(st)?)
        }
        (Reg::Local(r), "info") => Obj::Info(r.info(name, help, &labels).map_err(st)?),
        (Reg::Local(r), "enum") => {
            let states: Vec<&str> = states.iter().map(String::as_str).collect();
            Obj::Enum(r.enumeration(name, help, &labels, &states).map_err(st)?)
        }
        (Reg::Shared(r), "counter") => Obj::Counter(r.counter(name, help, &labels).map_err(st)?),
        (Reg::Shared(r), "gauge") => {
            let mode = mode.expect("a shared registry's gauge names its @mode=");
            Obj::Gauge(r.gauge(name, help, &labels, mode).map_err(st)?)
        }
        (Reg::Shared(r), "timer") => Obj::Timer(r.timer(name, help, &labels).map_err(st)?),
        (Reg::Shared(r), "histogram") => {
            Obj::Histogram(r.histogram(name, help, &labels, &opts).map_err(st)?)
        }
        (_, k) => panic!("unknown registry kind {k}"),
    };
    if let Some(b) = bind {
        vars.insert(b, obj);
    }
    Ok(Val::Unit)
}

fn create(ty: &str, a: &[Tok]) -> Result<Obj, Status> {
    Ok(match ty {
        "counter" => Obj::Counter(Arc::new(Counter::new())),
        "gauge" => Obj::Gauge(Arc::new(
            a.first()
                .map_or_else(Gauge::new, |t| Gauge::with_value(float(t))),
        )),
        "minmax" => Obj::MinMax(Arc::new(MinMax::new())),
        "histogram" if a.is_empty() => Obj::Histogram(Arc::new(Histogram::new())),
        "histogram" => Obj::Histogram(Arc::new(
            Histogram::with_precision(int(&a[0]) as u8, u(&a[1])).map_err(st)?,
        )),
        "timer" => Obj::Timer(Arc::new(Timer::new())),
        "registry" => Obj::Registry(Arc::new(Registry::new())),
        "shared" => Obj::Shared(Arc::new(open_shared(a)?)),
        "native" => {
            let schema = a.first().map_or(3, |t| int(t) as i8);
            Obj::Native(NativeHistogram::with_config(
                NativeConfig::new(schema).map_err(st)?,
            ))
        }
        "ledger" => Obj::Ledger(Ledger::new()),
        "oncemap" => Obj::OnceMap(OnceMap::new()),
        "cell" => Obj::Cell(SnapshotCell::new(bytes(&a[0]))),
        "map" if a.is_empty() => Obj::Map(ShardedMap::new()),
        "map" => Obj::Map(ShardedMap::with_shards(u(&a[0]) as usize).map_err(st)?),
        _ => panic!("unknown type {ty}"),
    })
}

/// A new segment in the temporary directory, its file removed at once (the registry keeps
/// working): `shared R [max_series=N]`.
fn open_shared(a: &[Tok]) -> Result<SharedRegistry, Status> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut opts = SharedOptions::default();
    for t in a {
        match t.text.split_once('=') {
            Some(("max_series", n)) => opts.max_series = n.parse().expect("max_series=N"),
            _ => panic!("unknown shared registry option {:?}", t.text),
        }
    }
    let path = std::env::temp_dir().join(format!(
        "atomicperf-conformance-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let r = SharedRegistry::open(path.to_str().unwrap(), &opts).map_err(st)?;
    r.unlink().map_err(st)?;
    Ok(r)
}

fn call(vars: &mut HashMap<String, Obj>, var: &str, op: &str, a: &[Tok]) -> Res {
    let obj = vars.get(var).unwrap_or_else(|| panic!("no object {var}"));
    let int_ok = |r: Result<i64, Error>| r.map(|v| Val::Int(v as i128)).map_err(st);
    Ok(match (obj, op) {
        (Obj::Counter(c), "add") => Val::from(c.add(u(&a[0]))),
        (Obj::Counter(c), "inc") => Val::from(c.inc()),
        (Obj::Counter(c), "get") => Val::Int(c.get() as i128),
        (Obj::Gauge(g), "set") => Val::from(g.set(float(&a[0]))),
        (Obj::Gauge(g), "add") => Val::from(g.add(float(&a[0]))),
        (Obj::Gauge(g), "sub") => Val::from(g.sub(float(&a[0]))),
        (Obj::Gauge(g), "inc") => Val::from(g.inc()),
        (Obj::Gauge(g), "dec") => Val::from(g.dec()),
        (Obj::Gauge(g), "set_max") => Val::from(g.set_max(float(&a[0]))),
        (Obj::Gauge(g), "set_min") => Val::from(g.set_min(float(&a[0]))),
        (Obj::Gauge(g), "get") => Val::Float(g.get()),
        (Obj::MinMax(m), "record") => Val::from(m.record(u(&a[0]))),
        (Obj::MinMax(m), "min") => opt_u(m.min()),
        (Obj::MinMax(m), "max") => opt_u(m.max()),
        (Obj::MinMax(m), "reset") => Val::from(m.reset()),
        (Obj::Histogram(h), "record") => Val::from(h.record(u(&a[0]))),
        (Obj::Histogram(h), "record_n") => Val::from(h.record_n(u(&a[0]), u(&a[1]))),
        (Obj::Histogram(h), "count") => Val::Int(h.count() as i128),
        (Obj::Histogram(h), "sum") => Val::Int(h.sum() as i128),
        (Obj::Histogram(h), "min") => opt_u(h.min()),
        (Obj::Histogram(h), "max") => opt_u(h.max()),
        (Obj::Histogram(h), "mean") => opt_f(h.mean()),
        (Obj::Histogram(h), "quantile") => opt_u(h.quantile(float(&a[0])).map_err(st)?),
        (Obj::Histogram(h), "overflow_count") => Val::Int(h.overflow_count() as i128),
        (Obj::Histogram(h), "reset") => Val::from(h.reset()),
        (Obj::Timer(t), "record") => Val::from(t.record_nanos(u(&a[0]), a[1].text == "ok")),
        (Obj::Timer(t), "count") => Val::Int(t.count() as i128),
        (Obj::Timer(t), "errors") => Val::Int(t.errors() as i128),
        (Obj::Timer(t), "total") => Val::Int(t.total() as i128),
        (Obj::Timer(t), "min") => opt_u(t.min()),
        (Obj::Timer(t), "max") => opt_u(t.max()),
        (Obj::Timer(t), "quantile") => opt_u(t.quantile(float(&a[0])).map_err(st)?),
        (Obj::Registry(r), "export") => Val::Text(match a[0].text.as_str() {
            "prometheus" => r.export_prometheus(),
            "openmetrics" => r.export_openmetrics(),
            f => panic!("unknown format {f}"),
        }),
        (Obj::Registry(r), "series_limit") => {
            let n = u(&a[0]) as usize;
            Val::from(r.set_series_limit((n > 0).then_some(n)))
        }
        (Obj::Registry(r), "series_count") => Val::Int(r.series_count() as i128),
        (Obj::Registry(r), "refused_series") => Val::Int(r.refused_series() as i128),
        (Obj::Registry(_), "negotiate") => Val::Bytes(
            match negotiate(&a[0].text) {
                ExportFormat::Prometheus => "prometheus",
                ExportFormat::OpenMetrics => "openmetrics",
                ExportFormat::Protobuf => "protobuf",
            }
            .into(),
        ),
        (Obj::Registry(r), "remove") => {
            let labels = pairs(&a[1..]);
            Val::Bool(r.remove(&a[0].text, &refs(&labels)).map_err(st)?)
        }
        (Obj::Registry(r), "clear_family") => Val::Int(r.clear_family(&a[0].text) as i128),
        (Obj::Registry(r), "clear") => Val::Int(r.clear() as i128),
        (Obj::Registry(r), kind) => {
            let r = Arc::clone(r);
            return register(Reg::Local(&r), kind, a, vars);
        }
        (Obj::Info(i), "set") => Val::from(i.set(&refs(&pairs(a))).map_err(st)?),
        (Obj::Enum(e), "set") => Val::from(e.set(&a[0].text).map_err(st)?),
        (Obj::Enum(e), "get") => Val::Bytes(e.get().as_bytes().to_vec()),
        (Obj::Counter(c), "add_exemplar") => Val::from(
            c.add_with_exemplar(u(&a[0]), &refs(&pairs(&a[1..])), None)
                .map_err(st)?,
        ),
        (Obj::Histogram(h), "record_exemplar") => Val::from(
            h.record_with_exemplar(u(&a[0]), &refs(&pairs(&a[1..])), None)
                .map_err(st)?,
        ),
        (Obj::Native(h), "record") => Val::from(h.record(float(&a[0]))),
        (Obj::Native(h), "count") => Val::Int(h.count() as i128),
        (Obj::Native(h), "zero_count") => Val::Int(h.zero_count() as i128),
        (Obj::Native(h), "nan_count") => Val::Int(h.snapshot().nan_count() as i128),
        (Obj::Native(h), "quantile") => opt_f(h.quantile(float(&a[0])).map_err(st)?),
        (Obj::Native(h), side @ ("positive" | "negative")) => {
            let s = h.snapshot();
            let buckets = if side == "positive" {
                s.positive()
            } else {
                s.negative()
            };
            let key = int(&a[0]) as i32;
            Val::Int(buckets.iter().find(|b| b.0 == key).map_or(0, |b| b.1) as i128)
        }
        (Obj::Shared(r), "export") => Val::Text(match a[0].text.as_str() {
            "prometheus" => r.export_prometheus(),
            "openmetrics" => r.export_openmetrics(),
            f => panic!("unknown format {f}"),
        }),
        (Obj::Shared(r), "series_count") => Val::Int(r.series_count() as i128),
        (Obj::Shared(r), "refused_series") => Val::Int(r.refused_series() as i128),
        (Obj::Shared(r), "max_series") => Val::Int(i128::from(r.max_series())),
        (Obj::Shared(r), kind) => {
            let r = Arc::clone(r);
            return register(Reg::Shared(&r), kind, a, vars);
        }
        (Obj::Ledger(l), "open") => {
            let overdraft = a.get(1).is_some_and(|t| t.text == "overdraft");
            l.open(u(&a[0]), overdraft).map(Val::from).map_err(st)?
        }
        (Obj::Ledger(l), "deposit") => int_ok(l.deposit(u(&a[0]), int(&a[1]) as i64))?,
        (Obj::Ledger(l), "withdraw") => int_ok(l.withdraw(u(&a[0]), int(&a[1]) as i64))?,
        (Obj::Ledger(l), "transfer") => l
            .transfer(u(&a[0]), u(&a[1]), int(&a[2]) as i64)
            .map(Val::from)
            .map_err(st)?,
        (Obj::Ledger(l), "balance") => int_ok(l.balance(u(&a[0])))?,
        (Obj::Ledger(l), "total") => Val::Int(l.total()),
        (Obj::OnceMap(o), "init") => {
            let v = bytes(&a[1]);
            Val::Bytes(o.get_or_init(bytes(&a[0]), || Ok::<_, ()>(v)).unwrap())
        }
        (Obj::OnceMap(o), "fail") => {
            match o.get_or_init(bytes(&a[0]), || Err::<Vec<u8>, _>("initialiser failed")) {
                Err(_) => Val::Failed,
                Ok(v) => Val::Bytes(v),
            }
        }
        (Obj::OnceMap(o), "get") => o.get(&bytes(&a[0])).map_or(Val::None, Val::Bytes),
        (Obj::OnceMap(o), "remove") => Val::Bool(o.remove(&bytes(&a[0])).is_some()),
        (Obj::OnceMap(o), "len") => Val::Int(o.len() as i128),
        (Obj::Cell(s), "load") => Val::Bytes(s.load().to_vec()),
        (Obj::Cell(s), "revision") => Val::Int(s.revision() as i128),
        (Obj::Cell(s), "store") => Val::Int(s.store(bytes(&a[0])) as i128),
        (Obj::Cell(s), "cas") => match s.compare_and_store(u(&a[0]), bytes(&a[1])) {
            Ok(rev) => Val::Int(rev as i128),
            Err(_) => return Err(Status::RevisionMismatch),
        },
        (Obj::Map(m), "insert") => Val::Bool(m.insert(bytes(&a[0]), bytes(&a[1])).is_some()),
        (Obj::Map(m), "get") => m.get(&bytes(&a[0])).map_or(Val::None, Val::Bytes),
        (Obj::Map(m), "remove") => Val::Bool(m.remove(&bytes(&a[0])).is_some()),
        (Obj::Map(m), "contains") => Val::Bool(m.contains(&bytes(&a[0]))),
        (Obj::Map(m), "len") => Val::Int(m.len() as i128),
        _ => panic!("unknown operation {var}.{op}"),
    })
}

impl From<()> for Val {
    fn from(_: ()) -> Val {
        Val::Unit
    }
}

/// Checks a result against an expectation; the error message on a mismatch.
fn check(got: &Res, expect: &[Tok], text: &str) -> Result<(), String> {
    let Some(want) = expect.first() else {
        return Err("empty expectation".into());
    };
    let ok = match (got, want.text.as_str(), want.quoted) {
        (Err(s), "error", false) => s.name() == expect[1].text,
        (Err(_), _, _) => false,
        (Ok(_), "ok", false) => true,
        (Ok(Val::None), "none", false) => true,
        (Ok(Val::Failed), "failed", false) => true,
        (Ok(Val::Bool(b)), w, false) => w == if *b { "true" } else { "false" },
        (Ok(Val::Int(i)), w, false) => w.parse::<i128>() == Ok(*i),
        (Ok(Val::Float(f)), w, false) => {
            let w: f64 = w.parse().map_err(|_| format!("bad float {w}"))?;
            (w.is_nan() && f.is_nan()) || w == *f
        }
        (Ok(Val::Bytes(b)), w, true) => b == w.as_bytes(),
        (Ok(Val::Text(t)), "text", false) => t == text,
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let want: Vec<&str> = expect.iter().map(|t| t.text.as_str()).collect();
    Err(match got {
        Ok(Val::Text(t)) => format!("expected text:\n{text}got:\n{t}"),
        Ok(v) => format!("expected {want:?}, got {v:?}"),
        Err(s) => format!("expected {want:?}, got error {}", s.name()),
    })
}

fn run(case: &Case) -> Result<(), String> {
    let mut vars: HashMap<String, Obj> = HashMap::new();
    for step in &case.steps {
        let head = &step.op[0].text;
        let got = match head.split_once('.') {
            Some((var, op)) => call(&mut vars, var, op, &step.op[1..]),
            None => create(head, &step.op[2..]).map(|o| {
                vars.insert(step.op[1].text.clone(), o);
                Val::Unit
            }),
        };
        let result = match &step.expect {
            Some(e) => check(&got, e, &step.text),
            None => got
                .map(|_| ())
                .map_err(|s| format!("failed with {}", s.name())),
        };
        result.map_err(|m| format!("{}:{}: case {}: {m}", case.file, step.line, case.name))?;
    }
    Ok(())
}

#[test]
fn conformance() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/conformance/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let (mut total, mut failures) = (0, Vec::new());
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for case in parse(&name, &std::fs::read_to_string(&path).unwrap()) {
            total += 1;
            assert!(
                !case.steps.is_empty(),
                "{}:{}: empty case",
                case.file,
                case.line
            );
            if let Err(m) = run(&case) {
                failures.push(m);
            }
        }
    }
    assert!(total > 0, "no cases in {}", dir.display());
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("conformance: {total} cases passed");
}
