package atomicperf

import (
	"errors"
	"strings"
	"testing"
)

func TestInfoAndEnumStandalone(t *testing.T) {
	i := MustNewInfo()
	if err := i.Set(Labels{"version": "1.2"}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Labels{{"1x": "a"}, {"__x": "a"}, {"a\x00": "b"}} {
		if err := i.Set(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%v: %v", bad, err)
		}
	}
	i.Close()
	if err := i.Set(nil); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
	e, err := NewEnum("starting", "running")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := e.Get(); err != nil || s != "starting" {
		t.Fatalf("first state: %q %v", s, err)
	}
	if err := e.Set("running"); err != nil {
		t.Fatal(err)
	}
	if s, _ := e.Get(); s != "running" {
		t.Fatalf("state %q", s)
	}
	if err := e.Set("exploded"); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("unknown state: %v", err)
	}
	long := strings.Repeat("x", 200)
	e2, err := NewEnum("a", long)
	if err != nil {
		t.Fatal(err)
	}
	_ = e2.Set(long)
	if s, _ := e2.Get(); s != long {
		t.Fatalf("long state %q", s)
	}
	for _, bad := range [][]string{nil, {"a", "a"}, {""}, {"a\x00"}} {
		if _, err := NewEnum(bad...); !errors.Is(err, ErrInvalidArgument) {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	e.Close()
	if err := e.Set("running"); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
	if _, err := e.Get(); err != ErrClosed {
		t.Fatalf("closed: %v", err)
	}
}

func TestRegistryInfoAndEnumExport(t *testing.T) {
	r := MustNewRegistry()
	defer r.Close()
	build := r.MustInfo("build", "Build facts.", Labels{"service": "api"})
	if err := build.Set(Labels{"version": "1.2", "commit": "abc"}); err != nil {
		t.Fatal(err)
	}
	if err := build.Set(Labels{"service": "x"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a family label: %v", err)
	}
	if r.MustInfo("build", "Build facts.", Labels{"service": "api"}) != build {
		t.Fatal("the look-up is not cached")
	}
	task := r.MustEnum("task_state", "Task.", Labels{"task": "mail"}, []string{"starting", "running"})
	if err := task.Set("running"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Enum("a:b", "", nil, []string{"x"}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("a name that is no label name: %v", err)
	}
	if _, err := r.Enum("other", "", nil, nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("no states: %v", err)
	}
	text, _ := r.Export(FormatPrometheus)
	for _, want := range []string{
		"# TYPE build_info gauge\nbuild_info{service=\"api\",commit=\"abc\",version=\"1.2\"} 1\n",
		"# TYPE task_state gauge\ntask_state{task=\"mail\",task_state=\"starting\"} 0\ntask_state{task=\"mail\",task_state=\"running\"} 1\n",
	} {
		if !strings.Contains(string(text), want) {
			t.Fatalf("missing %q in\n%s", want, text)
		}
	}
	om, _ := r.Export(FormatOpenMetrics)
	if !strings.Contains(string(om), "# TYPE build info\n") || !strings.Contains(string(om), "# TYPE task_state stateset\n") {
		t.Fatalf("OpenMetrics:\n%s", om)
	}
	task.Close() // owned by the registry: ignored
	if s, err := task.Get(); err != nil || s != "running" {
		t.Fatalf("after Close: %q %v", s, err)
	}
}
