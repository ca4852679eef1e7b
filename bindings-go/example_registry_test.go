package atomicperf_test

import (
	"fmt"
	"net/http"
	"os"
	"time"

	atomicperf "github.com/atomicperf/atomicperf/bindings-go"
	"github.com/prometheus/client_golang/prometheus"
)

func ExampleRegistry() {
	r := atomicperf.MustNewRegistry() // atomicperf.DefaultRegistry() in a service
	defer r.Close()

	// Look metrics up once, at start-up, and keep them: updates are then as cheap as NewCounter's.
	ok := r.MustCounter("http_requests_total", "Requests served.", atomicperf.LabelPairs("code", "200"))
	failed := r.MustCounter("http_requests_total", "Requests served.", atomicperf.Labels{"code": "500"})
	inFlight := r.MustGauge("http_in_flight", "Requests in progress.", nil)

	ok.Add(3)
	failed.Inc()
	inFlight.Set(2)
	// The same name and labels give the same metric.
	r.MustCounter("http_requests_total", "", atomicperf.Labels{"code": "200"}).Inc()

	text, _ := r.Export(atomicperf.FormatPrometheus)
	fmt.Print(string(text))
	// Output:
	// # HELP http_in_flight Requests in progress.
	// # TYPE http_in_flight gauge
	// http_in_flight 2
	// # HELP http_requests_total Requests served.
	// # TYPE http_requests_total counter
	// http_requests_total{code="200"} 4
	// http_requests_total{code="500"} 1
}

func ExampleRegistry_Histogram() {
	r := atomicperf.MustNewRegistry()
	defer r.Close()

	// Scale 1 exports values as recorded (the default, 1e-9, records nanoseconds and exports
	// seconds, with Prometheus' default buckets).
	size := r.MustHistogram("response_size_bytes", "Response sizes.", atomicperf.Labels{"route": "/api"},
		atomicperf.HistogramOpts{Buckets: []float64{100, 1000, 10000}, Scale: 1})
	size.Record(512)
	size.Record(4096)

	text, _ := r.Export(atomicperf.FormatPrometheus)
	fmt.Print(string(text))
	// Output:
	// # HELP response_size_bytes Response sizes.
	// # TYPE response_size_bytes histogram
	// response_size_bytes_bucket{route="/api",le="100"} 0
	// response_size_bytes_bucket{route="/api",le="1000"} 1
	// response_size_bytes_bucket{route="/api",le="10000"} 2
	// response_size_bytes_bucket{route="/api",le="+Inf"} 2
	// response_size_bytes_sum{route="/api"} 4608
	// response_size_bytes_count{route="/api"} 2
}

func ExampleRegistry_Handler() {
	http.Handle("/metrics", atomicperf.DefaultRegistry().Handler())
	// http.ListenAndServe(":9090", nil)
}

func ExampleNewCollector() {
	r := atomicperf.MustNewRegistry()
	defer r.Close()
	r.MustCounter("jobs_total", "Jobs run.", atomicperf.Labels{"queue": "mail"}).Add(5)

	// A client_golang program serves atomicperf's metrics with its own.
	reg := prometheus.NewRegistry()
	reg.MustRegister(atomicperf.NewCollector(r))
	families, _ := reg.Gather()
	for _, f := range families {
		for _, m := range f.GetMetric() {
			fmt.Println(f.GetName(), m.GetLabel()[0].GetValue(), m.GetCounter().GetValue())
		}
	}
	// Output: jobs_total mail 5
}

// Runs the counter workloads for 200 ms per cell at 1 and 2 threads. (No Output: timings vary.)
func ExampleBench() {
	report, err := atomicperf.Bench(atomicperf.BenchOptions{
		Threads:  []int{1, 2},
		Duration: 200 * time.Millisecond,
		Filter:   []string{"counter"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	for _, c := range report.Cells {
		fmt.Printf("%-30s %d threads %8.1f ns/op %6.2fx\n", c.Design, c.Threads, c.NsPerOp, c.Speedup)
	}
}
