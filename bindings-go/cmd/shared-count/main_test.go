package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRunCountsIntoTheSharedSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "segment")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-label", "queue=mail", "-goroutines", "3", "-help-text", "Jobs done.", path, "jobs", "1000"}, "1000\n"},
		{[]string{"-label", "queue=mail", "-existing", path, "jobs", "5"}, "1005\n"},
		{[]string{path, "other", "2"}, "2\n"}, // another series
	} {
		var out, errs strings.Builder
		if code := run(c.args, &out, &errs); code != 0 || out.String() != c.want {
			t.Fatalf("%v: exit %d, stdout %q, want %q; stderr %s", c.args, code, out.String(), c.want, errs.String())
		}
	}
}

func TestRunReportsErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"only-two", "args"}, 2, "usage"},
		{[]string{"-label", "novalue", "x", "c", "1"}, 2, "NAME=VALUE"},
		{[]string{"x", "c", "-1"}, 2, "N must be a count"},
		{[]string{"-existing", filepath.Join(dir, "missing"), "c", "1"}, 1, "no shared registry"},
		{[]string{"bad name", "c", "1"}, 1, "invalid shared registry name"},
		{[]string{filepath.Join(dir, "s"), "bad name", "1"}, 1, "invalid"},
	} {
		var out, errs strings.Builder
		if code := run(c.args, &out, &errs); code != c.code || !strings.Contains(errs.String(), c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errs.String(), c.code, c.want)
		}
	}
}
