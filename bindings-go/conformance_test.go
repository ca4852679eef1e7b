package atomicperf

// The shared conformance cases (tests/conformance/cases/*.txt, format in
// tests/conformance/README.md) run against the Go binding.

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

const conformanceCases = "../tests/conformance/cases"

type confTok struct {
	text   string
	quoted bool
}

func confTokenize(line string) []confTok {
	var toks []confTok
	r := []rune(line)
	i := 0
	for {
		for i < len(r) && unicode.IsSpace(r[i]) {
			i++
		}
		if i >= len(r) {
			return toks
		}
		var b strings.Builder
		t := confTok{}
		inQuote := false
		for i < len(r) && (inQuote || !unicode.IsSpace(r[i])) {
			c := r[i]
			i++
			switch {
			case c == '"':
				inQuote, t.quoted = !inQuote, true
			case c == '\\' && inQuote && i < len(r):
				if r[i] == 'n' {
					b.WriteRune('\n')
				} else {
					b.WriteRune(r[i])
				}
				i++
			default:
				b.WriteRune(c)
			}
		}
		t.text = b.String()
		toks = append(toks, t)
	}
}

type confStep struct {
	line   int
	op     []string
	expect []confTok // nil: must succeed
	text   string
}

type confCase struct {
	file, name string
	steps      []*confStep
}

func confParse(t *testing.T, path string) []*confCase {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []*confCase
	for i, line := range strings.Split(string(src), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.HasPrefix(line, "|") {
			steps := cases[len(cases)-1].steps
			text := strings.TrimPrefix(strings.TrimPrefix(line, "|"), " ")
			steps[len(steps)-1].text += text + "\n"
			continue
		}
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		toks := confTokenize(line)
		if toks[0].text == "case" && !toks[0].quoted {
			cases = append(cases, &confCase{file: filepath.Base(path), name: toks[1].text})
			continue
		}
		s := &confStep{line: i + 1}
		for j, tk := range toks {
			if tk.text == "->" && !tk.quoted {
				s.expect = toks[j+1:]
				break
			}
			s.op = append(s.op, tk.text)
		}
		cases[len(cases)-1].steps = append(cases[len(cases)-1].steps, s)
	}
	return cases
}

type confNone struct{}   // "no value"
type confFailed struct{} // the initialiser's own failure reached the caller

func confU(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func confI(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return v
}

func confF(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}

// confOpt is a statistic's (value, ok) pair as a result.
func confOpt[T any](v T, ok bool) any {
	if !ok {
		return confNone{}
	}
	return v
}

// confEmpty turns ErrEmpty (a quantile of nothing) into "no value".
func confEmpty(v uint64, err error) (any, error) {
	if errors.Is(err, ErrEmpty) {
		return confNone{}, nil
	}
	return v, err
}

type confEnv map[string]any

// confShared numbers the shared registries the cases open.
var confShared int

// register runs R.kind NAME HELP [k=v]... [@buckets=..] [@mode=..] [as VAR] on a *Registry or a
// *SharedRegistry.
func (env confEnv) register(reg any, kind string, a []string) (any, error) {
	labels := Labels{}
	var opts HistogramOpts
	var mode GaugeMode
	var states []string
	bind := ""
	for i := 2; i < len(a); i++ {
		switch {
		case a[i] == "as":
			bind = a[i+1]
			i++
		case strings.HasPrefix(a[i], "@mode="):
			name := strings.TrimPrefix(a[i], "@mode=")
			for m := GaugeModeAll; m <= GaugeModeMostRecent; m++ {
				if m.String() == name {
					mode = m
				}
			}
			if mode == 0 {
				panic("unknown gauge mode " + name)
			}
		case strings.HasPrefix(a[i], "@states="):
			states = strings.Split(strings.TrimPrefix(a[i], "@states="), ",")
		case strings.HasPrefix(a[i], "@buckets="):
			for _, b := range strings.Split(strings.TrimPrefix(a[i], "@buckets="), ",") {
				opts.Buckets = append(opts.Buckets, confF(b))
			}
			opts.Scale = 1
		default:
			k, v, _ := strings.Cut(a[i], "=")
			labels[k] = v
		}
	}
	var m any
	var err error
	if r, ok := reg.(*SharedRegistry); ok {
		switch kind {
		case "counter":
			m, err = r.Counter(a[0], a[1], labels)
		case "gauge":
			m, err = r.Gauge(a[0], a[1], labels, mode)
		case "timer":
			m, err = r.Timer(a[0], a[1], labels)
		case "histogram":
			m, err = r.Histogram(a[0], a[1], labels, opts)
		default:
			panic("unknown shared registry kind " + kind)
		}
		if err == nil && bind != "" {
			env[bind] = m
		}
		return nil, err
	}
	r := reg.(*Registry)
	switch kind {
	case "counter":
		m, err = r.Counter(a[0], a[1], labels)
	case "gauge":
		m, err = r.Gauge(a[0], a[1], labels)
	case "timer":
		m, err = r.Timer(a[0], a[1], labels)
	case "minmax":
		m, err = r.MinMax(a[0], a[1], labels)
	case "histogram":
		m, err = r.Histogram(a[0], a[1], labels, opts)
	case "info":
		m, err = r.Info(a[0], a[1], labels)
	case "enum":
		m, err = r.Enum(a[0], a[1], labels, states)
	default:
		panic("unknown registry kind " + kind)
	}
	if err == nil && bind != "" {
		env[bind] = m
	}
	return nil, err
}

// confPairs turns k=v tokens into Labels.
func confPairs(a []string) Labels {
	l := Labels{}
	for _, t := range a {
		k, v, _ := strings.Cut(t, "=")
		l[k] = v
	}
	return l
}

func confCreate(ty string, a []string) (any, error) {
	switch ty {
	case "counter":
		return NewCounter()
	case "gauge":
		if len(a) > 0 {
			return NewGauge(confF(a[0]))
		}
		return NewGauge(0)
	case "minmax":
		return NewMinMax()
	case "histogram":
		if len(a) > 0 {
			return NewHistogramWithPrecision(uint32(confU(a[0])), confU(a[1]))
		}
		return NewHistogram()
	case "timer":
		return NewTimer()
	case "registry":
		return NewRegistry()
	case "native":
		o := DefaultNativeOptions()
		if len(a) > 0 {
			o.Schema = int32(confI(a[0]))
		}
		return NewNativeHistogramWithOptions(o)
	case "shared":
		// A new segment of its own; its file is removed at once (the registry keeps working).
		opts := &SharedOptions{Dir: os.TempDir()}
		for _, o := range a {
			k, v, _ := strings.Cut(o, "=")
			if k != "max_series" {
				panic("unknown shared registry option " + o)
			}
			opts.MaxSeries = uint32(confU(v))
		}
		confShared++
		r, err := OpenSharedRegistry(fmt.Sprintf("conformance-go-%d-%d", os.Getpid(), confShared), opts)
		if err == nil {
			err = r.Unlink()
		}
		return r, err
	case "ledger":
		return NewLedger()
	case "oncemap":
		return NewOnceMap()
	case "cell":
		return NewSnapshotCell([]byte(a[0]))
	case "map":
		if len(a) > 0 {
			return NewShardedMap(int(confU(a[0])))
		}
		return NewShardedMap(0)
	}
	panic("unknown type " + ty)
}

func (env confEnv) call(v, op string, a []string) (any, error) {
	key := func(i int) []byte { return []byte(a[i]) }
	switch o := env[v].(type) {
	case *Counter:
		switch op {
		case "add":
			o.Add(confU(a[0]))
			return nil, nil
		case "inc":
			o.Inc()
			return nil, nil
		case "get":
			return o.Get(), nil
		case "add_exemplar":
			return nil, o.AddWithExemplar(confU(a[0]), confPairs(a[1:]), time.Time{})
		}
	case *Info:
		if op == "set" {
			return nil, o.Set(confPairs(a))
		}
	case *Enum:
		switch op {
		case "set":
			return nil, o.Set(a[0])
		case "get":
			s, err := o.Get()
			return []byte(s), err
		}
	case *Gauge:
		fs := map[string]func(float64){"set": o.Set, "add": o.Add, "sub": o.Sub, "set_max": o.SetMax, "set_min": o.SetMin}
		switch op {
		case "inc":
			o.Inc()
			return nil, nil
		case "dec":
			o.Dec()
			return nil, nil
		case "get":
			return o.Get(), nil
		}
		if f := fs[op]; f != nil {
			f(confF(a[0]))
			return nil, nil
		}
	case *MinMax:
		switch op {
		case "record":
			o.Record(confU(a[0]))
			return nil, nil
		case "reset":
			o.Reset()
			return nil, nil
		case "min":
			return confOpt(o.Min()), nil
		case "max":
			return confOpt(o.Max()), nil
		}
	case *Histogram:
		switch op {
		case "record":
			o.Record(confU(a[0]))
			return nil, nil
		case "record_exemplar":
			return nil, o.RecordWithExemplar(confU(a[0]), confPairs(a[1:]), time.Time{})
		case "record_n":
			o.RecordN(confU(a[0]), confU(a[1]))
			return nil, nil
		case "reset":
			o.Reset()
			return nil, nil
		case "count":
			return o.Count(), nil
		case "sum":
			return o.Sum(), nil
		case "overflow_count":
			return o.OverflowCount(), nil
		case "min":
			return confOpt(o.Min()), nil
		case "max":
			return confOpt(o.Max()), nil
		case "mean":
			return confOpt(o.Mean()), nil
		case "quantile":
			return confEmpty(o.Quantile(confF(a[0])))
		}
	case *Timer:
		s := o.Stats()
		switch op {
		case "record":
			o.RecordNanos(confU(a[0]), a[1] == "ok")
			return nil, nil
		case "count":
			return s.Count, nil
		case "errors":
			return s.Errors, nil
		case "total":
			return uint64(s.Total), nil
		case "min":
			return confOpt(uint64(s.Min), s.Count > 0), nil
		case "max":
			return confOpt(uint64(s.Max), s.Count > 0), nil
		case "quantile":
			d, err := o.Quantile(confF(a[0]))
			return confEmpty(uint64(d), err)
		}
	case *NativeHistogram:
		switch op {
		case "record":
			o.Record(confF(a[0]))
			return nil, nil
		case "quantile":
			q, err := o.Quantile(confF(a[0]))
			if errors.Is(err, ErrEmpty) {
				return confNone{}, nil
			}
			return q, err
		}
		s, err := o.Snapshot()
		if err != nil {
			return nil, err
		}
		switch op {
		case "count":
			return s.Count, nil
		case "zero_count":
			return s.ZeroCount, nil
		case "nan_count":
			return s.NaNCount, nil
		case "positive", "negative":
			buckets := s.Positive
			if op == "negative" {
				buckets = s.Negative
			}
			for _, b := range buckets {
				if int64(b.Key) == confI(a[0]) {
					return b.Count, nil
				}
			}
			return uint64(0), nil
		}
	case *Registry:
		switch op {
		case "remove":
			return o.Remove(a[0], confPairs(a[1:]))
		case "clear_family":
			n, err := o.ClearFamily(a[0])
			return uint64(n), err
		case "clear":
			n, err := o.Clear()
			return uint64(n), err
		case "negotiate":
			return []byte(Negotiate(a[0]).String()), nil
		case "export":
			f := FormatPrometheus
			if a[0] == "openmetrics" {
				f = FormatOpenMetrics
			}
			b, err := o.Export(f)
			return string(b), err
		case "series_limit":
			return nil, o.SetSeriesLimit(confU(a[0]))
		case "series_count", "refused_series":
			series, _, refused, err := o.SeriesStats()
			if op == "series_count" {
				return series, err
			}
			return refused, err
		}
		return env.register(o, op, a)
	case *SharedRegistry:
		switch op {
		case "export":
			f := FormatPrometheus
			if a[0] == "openmetrics" {
				f = FormatOpenMetrics
			}
			b, err := o.Export(f)
			return string(b), err
		case "series_count":
			return o.SeriesCount()
		case "refused_series":
			return o.RefusedSeries()
		case "max_series":
			return o.MaxSeries()
		}
		return env.register(o, op, a)
	case *Ledger:
		switch op {
		case "open":
			return nil, o.Open(confU(a[0]), len(a) > 1 && a[1] == "overdraft")
		case "deposit":
			return o.Deposit(confU(a[0]), confI(a[1]))
		case "withdraw":
			return o.Withdraw(confU(a[0]), confI(a[1]))
		case "transfer":
			return nil, o.Transfer(confU(a[0]), confU(a[1]), confI(a[2]))
		case "balance":
			return o.Balance(confU(a[0]))
		case "total":
			return o.Total()
		}
	case *OnceMap:
		switch op {
		case "init":
			return o.GetOrInit(key(0), func() ([]byte, error) { return key(1), nil })
		case "fail":
			failure := errors.New("initialiser failed")
			got, err := o.GetOrInit(key(0), func() ([]byte, error) { return nil, failure })
			if err != nil {
				if err != failure {
					return nil, fmt.Errorf("another error than the initialiser's: %w", err)
				}
				return confFailed{}, nil
			}
			return got, nil
		case "get":
			b, found, err := o.Get(key(0))
			return confOpt(b, found), err
		case "remove":
			return o.Remove(key(0))
		case "len":
			return uint64(o.Len()), nil
		}
	case *SnapshotCell:
		switch op {
		case "load":
			b, _, err := o.Load()
			return b, err
		case "revision":
			return o.Revision(), nil
		case "store":
			return o.Store(key(0))
		case "cas":
			return o.CompareAndStore(confU(a[0]), key(1))
		}
	case *ShardedMap:
		switch op {
		case "insert":
			return o.Insert(key(0), key(1))
		case "get":
			b, found, err := o.Get(key(0))
			return confOpt(b, found), err
		case "remove":
			return o.Remove(key(0))
		case "contains":
			return o.Contains(key(0)), nil
		case "len":
			return uint64(o.Len()), nil
		}
	}
	panic(fmt.Sprintf("unknown operation %s.%s on %T", v, op, env[v]))
}

func confCheck(got any, err error, expect []confTok, text string) bool {
	want := expect[0]
	if err != nil {
		var e *Error
		return want.text == "error" && errors.As(err, &e) && strings.HasPrefix(e.Code.String(), expect[1].text+":")
	}
	if want.quoted {
		b, ok := got.([]byte)
		return ok && bytes.Equal(b, []byte(want.text))
	}
	switch want.text {
	case "ok":
		return true
	case "none":
		return got == confNone{}
	case "failed":
		return got == confFailed{}
	case "text":
		return got == text
	}
	switch g := got.(type) {
	case bool:
		return strconv.FormatBool(g) == want.text
	case uint64:
		return strconv.FormatUint(g, 10) == want.text
	case int64:
		return strconv.FormatInt(g, 10) == want.text
	case float64:
		w := confF(want.text)
		return (math.IsNaN(w) && math.IsNaN(g)) || w == g
	}
	return false
}

func confRun(t *testing.T, c *confCase) {
	env := confEnv{}
	defer func() {
		for _, o := range env {
			if cl, ok := o.(interface{ Close() error }); ok {
				cl.Close()
			}
		}
	}()
	for _, s := range c.steps {
		where := fmt.Sprintf("%s:%d: case %s", c.file, s.line, c.name)
		var got any
		var err error
		if v, op, ok := strings.Cut(s.op[0], "."); ok {
			got, err = env.call(v, op, s.op[1:])
		} else {
			var o any
			o, err = confCreate(s.op[0], s.op[2:])
			if err == nil {
				env[s.op[1]] = o
			}
		}
		if s.expect == nil {
			if err != nil {
				t.Fatalf("%s: failed: %v", where, err)
			}
			continue
		}
		if !confCheck(got, err, s.expect, s.text) {
			var want []string
			for _, tk := range s.expect {
				want = append(want, tk.text)
			}
			if str, ok := got.(string); ok {
				got = "text:\n" + str
			} else if b, ok := got.([]byte); ok {
				got = strconv.Quote(string(b))
			}
			t.Fatalf("%s: expected %s %q, got %v (error %v)", where, strings.Join(want, " "), s.text, got, err)
		}
	}
}

func TestConformance(t *testing.T) {
	if _, err := os.Stat(conformanceCases); err != nil {
		t.Skipf("no conformance cases here (%v): the distributed module does not hold them", err)
	}
	files, err := filepath.Glob(filepath.Join(conformanceCases, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	total := 0
	for _, f := range files {
		for _, c := range confParse(t, f) {
			total++
			t.Run(c.name, func(t *testing.T) { confRun(t, c) })
		}
	}
	if total < 150 {
		t.Fatalf("only %d conformance cases found", total)
	}
}
