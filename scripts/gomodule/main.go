// Command gomodule writes one version of a Go module in module-proxy layout (the GOPROXY
// protocol), from a directory holding the module's files exactly as users should get them:
//
//	<out>/<escaped module path>/@v/list          versions, one a line (this one added)
//	<out>/<escaped module path>/@v/<v>.info      {"Version": v, "Time": t}
//	<out>/<escaped module path>/@v/<v>.mod       the go.mod
//	<out>/<escaped module path>/@v/<v>.zip       the module zip, by golang.org/x/mod/zip
//
// golang.org/x/mod/zip is what the go command itself uses: it applies the same file-name, size
// and layout rules, so a zip it writes is one `go get` accepts and hashes as the proxy's would.
//
//	go run . -dir STAGE -module github.com/atomicperf/atomicperf/bindings-go -version v0.1.0 \
//	    -time 2026-11-30T00:00:00Z -out dist/go/proxy
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

func main() {
	dir := flag.String("dir", "", "directory holding the module's files (with go.mod at its root)")
	modPath := flag.String("module", "", "module path (must match the go.mod's module line)")
	version := flag.String("version", "", "canonical semantic version, e.g. v0.1.0")
	when := flag.String("time", "", "the version's time, RFC 3339 (e.g. the commit time)")
	out := flag.String("out", "", "root of the module-proxy tree")
	flag.Parse()
	if err := run(*dir, *modPath, *version, *when, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gomodule:", err)
		os.Exit(1)
	}
}

func run(dir, modPath, version, when, out string) error {
	if dir == "" || modPath == "" || version == "" || when == "" || out == "" {
		return fmt.Errorf("-dir, -module, -version, -time and -out are all required")
	}
	if semver.Canonical(version) != version {
		return fmt.Errorf("version %q is not a canonical semantic version (vX.Y.Z)", version)
	}
	t, err := time.Parse(time.RFC3339, when)
	if err != nil {
		return fmt.Errorf("-time: %w", err)
	}
	mv := module.Version{Path: modPath, Version: version}
	if err := module.Check(modPath, version); err != nil {
		return err
	}

	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	if got := modfile.ModulePath(goMod); got != modPath {
		return fmt.Errorf("%s/go.mod declares module %q, not %q", dir, got, modPath)
	}

	escaped, err := module.EscapePath(modPath)
	if err != nil {
		return err
	}
	vdir := filepath.Join(out, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		return err
	}

	var zipBuf bytes.Buffer
	if err := modzip.CreateFromDir(&zipBuf, mv, dir); err != nil {
		return fmt.Errorf("module zip: %w", err)
	}
	info, err := json.Marshal(struct {
		Version string
		Time    string
	}{version, t.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}

	files := []struct {
		name string
		data []byte
	}{
		{version + ".zip", zipBuf.Bytes()},
		{version + ".mod", goMod},
		{version + ".info", append(info, '\n')},
	}
	for _, f := range files {
		if err := writeFile(filepath.Join(vdir, f.name), f.data); err != nil {
			return err
		}
	}

	// @v/list: every version already published here, plus this one, in semver order.
	listPath := filepath.Join(vdir, "list")
	var versions []string
	if old, err := os.ReadFile(listPath); err == nil {
		versions = strings.Fields(string(old))
	}
	if !slices.Contains(versions, version) {
		versions = append(versions, version)
	}
	semver.Sort(versions)
	if err := writeFile(listPath, []byte(strings.Join(versions, "\n")+"\n")); err != nil {
		return err
	}

	fmt.Printf("%s@%s: %s (%d bytes)\n", modPath, version, filepath.Join(vdir, version+".zip"), zipBuf.Len())
	return nil
}

// writeFile writes through a temporary file and a rename, so a reader never sees half a file.
func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
