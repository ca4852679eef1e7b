package atomicperf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// theirs is client_golang's native histogram at schema 3 (a bucket factor of 1.1 picks it),
// with its default zero threshold and no limit on the number of buckets.
func theirs() prometheus.Histogram {
	return prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:                        "h",
		Help:                        "h",
		NativeHistogramBucketFactor: 1.1,
	})
}

// decode turns spans and deltas back into buckets.
func decode(spans []*dto.BucketSpan, deltas []int64) []NativeBucket {
	var out []NativeBucket
	key, count, i := int32(0), int64(0), 0
	for n, s := range spans {
		if n == 0 {
			key = s.GetOffset()
		} else {
			key += s.GetOffset()
		}
		for j := uint32(0); j < s.GetLength(); j++ {
			count += deltas[i]
			i++
			if count != 0 {
				out = append(out, NativeBucket{Key: key, Count: uint64(count)})
			}
			key++
		}
	}
	return out
}

func sameBuckets(t *testing.T, what string, ours, theirs []NativeBucket) {
	t.Helper()
	if len(ours) != len(theirs) {
		t.Fatalf("%s: %d buckets, client_golang %d\nours   %v\ntheirs %v", what, len(ours), len(theirs), ours, theirs)
	}
	for i := range ours {
		if ours[i] != theirs[i] {
			t.Fatalf("%s: bucket %d is %+v, client_golang's %+v", what, i, ours[i], theirs[i])
		}
	}
}

// compare records values in both and checks that everything client_golang exports agrees.
func compare(t *testing.T, what string, values []float64) {
	t.Helper()
	ours := MustNewNativeHistogram()
	defer ours.Close()
	them := theirs()
	for _, v := range values {
		ours.Record(v)
		them.Observe(v)
	}
	var m dto.Metric
	if err := them.Write(&m); err != nil {
		t.Fatal(err)
	}
	h := m.GetHistogram()
	s, err := ours.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if s.Schema != h.GetSchema() || s.ZeroThreshold != h.GetZeroThreshold() {
		t.Fatalf("%s: schema %d, zero threshold %g; client_golang %d, %g", what, s.Schema, s.ZeroThreshold, h.GetSchema(), h.GetZeroThreshold())
	}
	if s.Count != h.GetSampleCount() || s.ZeroCount != h.GetZeroCount() {
		t.Fatalf("%s: count %d, zero count %d; client_golang %d, %d", what, s.Count, s.ZeroCount, h.GetSampleCount(), h.GetZeroCount())
	}
	// The sums are the same floating-point sum added in another order: client_golang adds every
	// value to one float64, the library to per-thread stripes (Go's direct writes pick theirs
	// by goroutine), which it then adds up. Each differs from the exact sum by at most
	// (n-1)·2^-53·Σ|v|, so they differ from each other by at most twice that.
	var magnitude float64
	for _, v := range values {
		magnitude += math.Abs(v)
	}
	bound := 2 * float64(len(values)) * 0x1p-53 * magnitude
	got, their := s.Sum, h.GetSampleSum()
	sameSpecial := (math.IsNaN(got) && math.IsNaN(their)) || (math.IsInf(got, 0) && got == their)
	if !sameSpecial && !(math.Abs(got-their) <= bound) {
		t.Fatalf("%s: sum %v, client_golang %v (rounding bound %g)", what, got, their, bound)
	}
	sameBuckets(t, what+": positive", s.Positive, decode(h.GetPositiveSpan(), h.GetPositiveDelta()))
	sameBuckets(t, what+": negative", s.Negative, decode(h.GetNegativeSpan(), h.GetNegativeDelta()))
}

// boundaries are values on bucket boundaries at schema 3 (the powers 2^(j/8) times powers of
// two are exact in binary64) and the doubles just above and below them.
func boundaries() []float64 {
	fracs := []float64{0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048,
		0.7071067811865475, 0.7711054127039704, 0.8408964152537144, 0.9170040432046711}
	var out []float64
	for _, e := range []int{-1073, -1022, -600, -128, -127, -30, -1, 0, 1, 2, 10, 40, 512, 1023, 1024} {
		for _, f := range fracs {
			v := math.Ldexp(f, e)
			if v == 0 || math.IsInf(v, 0) {
				continue
			}
			out = append(out, v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)), -v)
		}
	}
	return out
}

func TestNativeHistogramMatchesClientGolang(t *testing.T) {
	specials := []float64{0, math.Copysign(0, -1), 2.938735877055719e-39, -2.938735877055719e-39,
		math.Nextafter(2.938735877055719e-39, 1), math.SmallestNonzeroFloat64,
		-math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64, math.Inf(1),
		math.Inf(-1), math.NaN(), 1, -1}
	compare(t, "special values", specials)
	compare(t, "bucket boundaries", boundaries())

	rng := rand.New(rand.NewPCG(1, 2))
	values := make([]float64, 1_000_000)
	for i := range values {
		v := math.Exp(rng.NormFloat64() * 8) // from about 1e-15 to 1e15
		if rng.IntN(10) == 0 {
			v = -v
		}
		values[i] = v
	}
	compare(t, "a million random values", values)

	durations := make([]float64, 0, 10_000)
	for i := 0; i < 10_000; i++ {
		durations = append(durations, (time.Duration(rng.Int64N(int64(time.Hour)))).Seconds())
	}
	compare(t, "durations", durations)
}

func TestNativeHistogramRecordDurationIsObserveSeconds(t *testing.T) {
	ours := MustNewNativeHistogram()
	defer ours.Close()
	plain := MustNewNativeHistogram()
	defer plain.Close()
	for _, d := range []time.Duration{0, 1, time.Microsecond, 999 * time.Millisecond, time.Second + 1, time.Hour, -5} {
		ours.RecordDuration(d)
		plain.Record(max(d, 0).Seconds())
	}
	a, _ := ours.Snapshot()
	b, _ := plain.Snapshot()
	sameBuckets(t, "durations", a.Positive, b.Positive)
	if math.Abs(a.Sum-b.Sum) > 1e-9 || a.ZeroCount != 2 {
		t.Fatalf("sum %v vs %v, zero count %d", a.Sum, b.Sum, a.ZeroCount)
	}
}

func TestNativeHistogramOptionsQuantileMergeAndErrors(t *testing.T) {
	d := DefaultNativeOptions()
	if d.Schema != 3 || d.ZeroThreshold != 2.938735877055719e-39 || d.DenseLowest != 1e-9 || d.DenseHighest != 3600 {
		t.Fatalf("defaults %+v", d)
	}
	for _, bad := range []NativeOptions{{Schema: 9}, {Schema: -5}, {Schema: 3, ZeroThreshold: -1}, {Schema: 3, DenseLowest: 2, DenseHighest: 1}} {
		if _, err := NewNativeHistogramWithOptions(bad); !errors.Is(err, ErrOutOfRange) {
			t.Fatalf("%+v: %v", bad, err)
		}
	}
	h := MustNewNativeHistogram()
	if _, err := h.Quantile(0.5); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty quantile: %v", err)
	}
	for i := 1; i <= 1000; i++ {
		h.Record(float64(i) / 1000)
	}
	q, err := h.Quantile(0.99)
	if err != nil || math.Abs(q-0.99) > 0.99*0.0906 {
		t.Fatalf("p99 %v %v", q, err)
	}
	if _, err := h.Quantile(2); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("q=2: %v", err)
	}
	coarse, err := NewNativeHistogramWithOptions(NativeOptions{Schema: 0})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Merge(coarse); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("merge of a coarser schema: %v", err)
	}
	if err := coarse.Merge(h); err != nil {
		t.Fatal(err)
	}
	if s, _ := coarse.Snapshot(); s.Count != 1000 || s.Schema != 0 {
		t.Fatalf("merged %+v", s)
	}
	coarse.Reset()
	if s, _ := coarse.Snapshot(); s.Count != 0 {
		t.Fatalf("reset: %+v", s)
	}
	h.Close()
	h.Close()
	h.Record(1)
	if _, err := h.Snapshot(); err != ErrClosed {
		t.Fatalf("closed snapshot: %v", err)
	}
	if _, err := h.Quantile(0.5); err != ErrClosed {
		t.Fatalf("closed quantile: %v", err)
	}
	if err := coarse.Merge(h); err != ErrClosed {
		t.Fatalf("merge of a closed one: %v", err)
	}
	coarse.Close()
}

func TestNativeHistogramConcurrentRecordsLoseNothing(t *testing.T) {
	h := MustNewNativeHistogram()
	defer h.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20_000; i++ {
				h.Record(float64(i%100) - 10) // dense, negative and zero
			}
		}()
	}
	wg.Wait()
	s, _ := h.Snapshot()
	if s.Count != 160_000 || s.ZeroCount != 1600 {
		t.Fatalf("count %d, zero %d", s.Count, s.ZeroCount)
	}
	var neg uint64
	for _, b := range s.Negative {
		neg += b.Count
	}
	if neg != 16_000 {
		t.Fatalf("negative %d", neg)
	}
}

// decodeProtobuf reads a delimited protobuf exposition with client_golang's own decoder.
func decodeProtobuf(t *testing.T, body []byte) map[string]*dto.MetricFamily {
	t.Helper()
	dec := expfmt.NewDecoder(bytes.NewReader(body), expfmt.NewFormat(expfmt.TypeProtoDelim))
	out := map[string]*dto.MetricFamily{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("decoding the protobuf export: %v", err)
		}
		out[mf.GetName()] = &mf
	}
}

func TestRegistryNativeHistogramExportsWhatClientGolangExports(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	classic := []float64{0.25, 1}
	h, err := r.NativeHistogram("rpc_seconds", "RPC latency.", Labels{"method": "get"}, NativeHistogramOpts{ClassicBuckets: classic})
	if err != nil {
		t.Fatal(err)
	}
	again := r.MustNativeHistogram("rpc_seconds", "RPC latency.", Labels{"method": "get"}, NativeHistogramOpts{ClassicBuckets: classic})
	if again != h {
		t.Fatal("a repeated look-up returns another value")
	}
	if _, err := r.NativeHistogram("bad", "", nil, NativeHistogramOpts{Options: &NativeOptions{Schema: 9}}); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("schema 9: %v", err)
	}
	if _, err := r.Counter("rpc_seconds_count", "", nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a colliding name: %v", err)
	}
	// client_golang's native histogram with the same classic buckets, in a registry of its own.
	reg := prometheus.NewRegistry()
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rpc_seconds", Help: "RPC latency.", Buckets: classic, NativeHistogramBucketFactor: 1.1,
	}, []string{"method"})
	reg.MustRegister(vec)
	theirs := vec.WithLabelValues("get")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 100_000; i++ {
		v := math.Exp(rng.NormFloat64()*3 - 3)
		if i%50 == 0 {
			v = 0
		}
		h.Record(v)
		theirs.Observe(v)
	}
	body, err := r.Export(FormatProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	ours := decodeProtobuf(t, body)["rpc_seconds"]
	gathered, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := gathered[0]
	if ours == nil || ours.GetType() != dto.MetricType_HISTOGRAM || ours.GetHelp() != want.GetHelp() {
		t.Fatalf("family %v", ours)
	}
	a, b := ours.GetMetric()[0], want.GetMetric()[0]
	if a.GetLabel()[0].GetName() != "method" || a.GetLabel()[0].GetValue() != "get" {
		t.Fatalf("labels %v", a.GetLabel())
	}
	ah, bh := a.GetHistogram(), b.GetHistogram()
	if ah.GetSchema() != bh.GetSchema() || ah.GetZeroThreshold() != bh.GetZeroThreshold() ||
		ah.GetZeroCount() != bh.GetZeroCount() || ah.GetSampleCount() != bh.GetSampleCount() {
		t.Fatalf("ours %v\ntheirs %v", ah, bh)
	}
	// Spans and deltas as client_golang encodes them, field for field.
	if fmt.Sprint(ah.GetPositiveSpan()) != fmt.Sprint(bh.GetPositiveSpan()) || !slices.Equal(ah.GetPositiveDelta(), bh.GetPositiveDelta()) {
		t.Fatalf("positive spans\nours   %v %v\ntheirs %v %v", ah.GetPositiveSpan(), ah.GetPositiveDelta(), bh.GetPositiveSpan(), bh.GetPositiveDelta())
	}
	if math.Abs(ah.GetSampleSum()-bh.GetSampleSum()) > 1e-9*math.Abs(bh.GetSampleSum()) {
		t.Fatalf("sum %v vs %v", ah.GetSampleSum(), bh.GetSampleSum())
	}
	// Classic buckets: 0.25 and 1 are native boundaries (powers of two), so the counts are exact.
	for i, bk := range bh.GetBucket() {
		if ah.GetBucket()[i].GetUpperBound() != bk.GetUpperBound() || ah.GetBucket()[i].GetCumulativeCount() != bk.GetCumulativeCount() {
			t.Fatalf("classic bucket %d: ours %v, theirs %v", i, ah.GetBucket()[i], bk)
		}
	}
	// The handler negotiates: protobuf for Prometheus' Accept header, text otherwise.
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	for accept, want := range map[string]string{
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3": ContentTypeProtobuf,
		"application/openmetrics-text;version=1.0.0": ContentTypeOpenMetrics,
		"": ContentTypePrometheus,
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != want {
			t.Fatalf("Accept %q: Content-Type %q", accept, ct)
		}
		if want == ContentTypeProtobuf && decodeProtobuf(t, got)["rpc_seconds"] == nil {
			t.Fatal("the protobuf answer has no native histogram")
		}
	}
	if Negotiate("text/plain;q=0.1,application/openmetrics-text;q=0.9") != FormatOpenMetrics || Negotiate("\xff") != FormatPrometheus {
		t.Fatal("Negotiate")
	}
}
