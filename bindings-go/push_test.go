package atomicperf

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// request is what the test gateway saw of one request.
type request struct {
	method, path, contentType, body string
}

// recordingGateway answers every request with status and reason, and records it.
func recordingGateway(t *testing.T, status int, reason string) (*httptest.Server, func() []request) {
	t.Helper()
	var mu sync.Mutex
	var seen []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, request{r.Method, r.URL.EscapedPath(), r.Header.Get("Content-Type"), string(body)})
		mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, reason)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), seen...)
	}
}

func TestPushSendsTheExportWithTheMethodOfEachCall(t *testing.T) {
	srv, seen := recordingGateway(t, http.StatusOK, "")
	r := MustNewRegistry()
	defer r.Close()
	r.MustCounter("backups_done", "Backups done.", Labels{"kind": "full"}).Add(3)
	opts := PushOptions{URL: srv.URL + "/prefix/", Job: "backup", Grouping: Labels{"path": "/var/tmp", "instance": "h 1"}}
	ctx := context.Background()
	if err := r.Push(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if err := r.PushAdd(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if err := DeleteFromGateway(ctx, opts); err != nil {
		t.Fatal(err)
	}
	export, _ := r.Export(FormatPrometheus)
	// Labels sorted by name; a value with a "/" in base64, a space percent-encoded.
	path := "/prefix/metrics/job/backup/instance/h%201/path@base64/L3Zhci90bXA"
	want := []request{
		{"PUT", path, FormatPrometheus.ContentType(), string(export)},
		{"POST", path, FormatPrometheus.ContentType(), string(export)},
		{"DELETE", path, "", ""},
	}
	got := seen()
	if len(got) != len(want) {
		t.Fatalf("requests: %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d:\n got  %+v\n want %+v", i, got[i], want[i])
		}
	}
	if !strings.Contains(string(export), `backups_done_total{kind="full"} 3`) {
		t.Errorf("export: %s", export)
	}
}

func TestPushgatewayURLIsTheCoresRule(t *testing.T) {
	for _, c := range []struct {
		gateway, job string
		grouping     Labels
		want         string
	}{
		{"http://h:9091", "directory_cleaner", Labels{"path": "/var/tmp"}, "http://h:9091/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA"},
		{"h:9091/", "example", Labels{"first_label": "", "second_label": "foobar"}, "http://h:9091/metrics/job/example/first_label@base64/=/second_label/foobar"},
		{"https://h", "titan", Labels{"name": "Προμηθεύς"}, "https://h/metrics/job/titan/name/%CE%A0%CF%81%CE%BF%CE%BC%CE%B7%CE%B8%CE%B5%CF%8D%CF%82"},
		{"http://h", "a/b", nil, "http://h/metrics/job@base64/YS9i"},
	} {
		got, err := PushgatewayURL(c.gateway, c.job, c.grouping)
		if err != nil || got != c.want {
			t.Errorf("PushgatewayURL(%q, %q, %v) = %q, %v; want %q", c.gateway, c.job, c.grouping, got, err, c.want)
		}
	}
}

func TestPushRefusesBadArgumentsBeforeAnyRequest(t *testing.T) {
	srv, seen := recordingGateway(t, http.StatusOK, "")
	r := MustNewRegistry()
	defer r.Close()
	ctx := context.Background()
	for _, c := range []struct {
		opts PushOptions
		want string
	}{
		{PushOptions{URL: srv.URL, Job: ""}, "job name must not be empty"},
		{PushOptions{URL: srv.URL, Job: "j", Grouping: Labels{"a-b": "x"}}, `invalid grouping label name "a-b"`},
		{PushOptions{URL: srv.URL, Job: "j", Grouping: Labels{"": "x"}}, "must not be empty"},
		{PushOptions{URL: srv.URL, Job: "j", Grouping: Labels{"job": "x"}}, "given as the job name"},
		{PushOptions{URL: "ftp://h", Job: "j"}, "scheme must be http or https"},
		{PushOptions{URL: "", Job: "j"}, "invalid Pushgateway URL"},
		{PushOptions{URL: srv.URL, Job: "j\x00k"}, "NUL"},
		{PushOptions{URL: srv.URL, Job: "j", Timeout: -time.Second}, "negative timeout"},
	} {
		for name, call := range map[string]func() error{
			"Push":              func() error { return r.Push(ctx, c.opts) },
			"PushAdd":           func() error { return r.PushAdd(ctx, c.opts) },
			"DeleteFromGateway": func() error { return DeleteFromGateway(ctx, c.opts) },
		} {
			err := call()
			if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s(%+v): %v, want ErrInvalidArgument with %q", name, c.opts, err, c.want)
			}
		}
	}
	if got := seen(); len(got) != 0 {
		t.Errorf("requests were sent: %+v", got)
	}
}

func TestPushReportsTheGatewaysStatusAndReason(t *testing.T) {
	srv, _ := recordingGateway(t, http.StatusBadRequest, "pushed metrics are invalid or inconsistent with existing metrics\n")
	r := MustNewRegistry()
	defer r.Close()
	err := r.Push(context.Background(), PushOptions{URL: srv.URL, Job: "j"})
	var pe *PushError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PushError", err)
	}
	if pe.StatusCode != 400 || pe.Method != "PUT" || pe.URL != srv.URL+"/metrics/job/j" ||
		!strings.Contains(pe.Body, "inconsistent with existing metrics") {
		t.Errorf("%+v", pe)
	}
	if !strings.Contains(err.Error(), "status 400: pushed metrics are invalid") {
		t.Errorf("message: %v", err)
	}
}

func TestPushReportsARefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = DeleteFromGateway(context.Background(), PushOptions{URL: "http://" + addr, Job: "j", Timeout: 5 * time.Second})
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "DeleteFromGateway") {
		t.Errorf("got %v, want a refused connection", err)
	}
}

func TestPushHonoursTheTimeoutOfAGatewayThatNeverAnswers(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accepts, reads, never answers
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	r := MustNewRegistry()
	defer r.Close()
	err = r.Push(context.Background(), PushOptions{URL: "http://" + l.Addr().String(), Job: "j", Timeout: 200 * time.Millisecond})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	// The caller's context ends it too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Push(ctx, PushOptions{URL: "http://" + l.Addr().String(), Job: "j"}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// TestPushToARealPushgateway runs when AP_PUSHGATEWAY_URL names a running Pushgateway
// (scripts/test-pushgateway.sh starts one): push, push-add and delete, each checked in the
// gateway's own /metrics.
func TestPushToARealPushgateway(t *testing.T) {
	gw := os.Getenv("AP_PUSHGATEWAY_URL")
	if gw == "" {
		t.Skip("AP_PUSHGATEWAY_URL is not set (scripts/test-pushgateway.sh sets it)")
	}
	scrape := func() string {
		resp, err := http.Get(gw + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	r := MustNewRegistry()
	defer r.Close()
	r.MustCounter("ap_push_go", "Pushed from Go.", Labels{"kind": "full"}).Add(7)
	opts := PushOptions{URL: gw, Job: "go/batch", Grouping: Labels{"path": "/var/tmp", "empty": ""}, Timeout: 10 * time.Second}
	ctx := context.Background()
	if err := r.Push(ctx, opts); err != nil {
		t.Fatal(err)
	}
	series := `ap_push_go_total{empty="",instance="",job="go/batch",kind="full",path="/var/tmp"} 7`
	if m := scrape(); !strings.Contains(m, series) {
		t.Fatalf("after Push, no %s in:\n%s", series, m)
	}
	other := MustNewRegistry()
	defer other.Close()
	other.MustGauge("ap_push_go_extra", "Added.", nil).Set(2)
	if err := other.PushAdd(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if m := scrape(); !strings.Contains(m, series) || !strings.Contains(m, `ap_push_go_extra{empty="",instance="",job="go/batch",path="/var/tmp"} 2`) {
		t.Fatalf("after PushAdd, both families should be there:\n%s", m)
	}
	if err := DeleteFromGateway(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if m := scrape(); strings.Contains(m, "ap_push_go") {
		t.Fatalf("after DeleteFromGateway, the group is still there:\n%s", m)
	}
}
