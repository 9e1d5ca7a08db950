package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goTestJSON runs `go test -json ./...` on a module made of files and
// returns its events.
func goTestJSON(t *testing.T, files map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n"
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "test", "-json", "-count=1", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, _ := cmd.Output() // it fails when a test does: the events say so
	if len(out) == 0 {
		t.Fatal("go test printed no events")
	}
	return out
}

func runReport(events []byte, noSkip ...string) (string, bool) {
	r := newReport(noSkip, 3)
	var out bytes.Buffer
	if err := r.read(bytes.NewReader(events), &out); err != nil {
		return err.Error(), false
	}
	good := r.summary(&out)
	return out.String(), good
}

func TestReport(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	events := goTestJSON(t, map[string]string{
		"good/good_test.go": `package good
import "testing"
func TestA(t *testing.T) { t.Run("sub", func(t *testing.T) {}) }
func TestServer(t *testing.T) { t.Skip("no such server here") }
`,
		"bad/bad_test.go": `package bad
import "testing"
func TestFine(t *testing.T) {}
func TestBroken(t *testing.T) { t.Run("part", func(t *testing.T) { t.Log("the part's own words"); t.Fatal("it broke") }) }
`,
		"none/none.go": "package none\n",
	})

	out, good := runReport(events)
	if good {
		t.Errorf("a run with a failed test is good:\n%s", out)
	}
	for _, want := range []string{
		"ok  \texample.com/m/good\t",
		"FAIL\texample.com/m/bad\t",
		"the part's own words", "it broke",
		"skipped:\n  example.com/m/good TestServer: good_test.go:4: no such server here\n",
		"failed: example.com/m/bad\n",
		"\ntests: 3 passed, 2 failed, 1 skipped\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}

	// Only the good package: good, until its package may not skip.
	var goodOnly []byte
	for line := range bytes.Lines(events) {
		if !bytes.Contains(line, []byte("example.com/m/bad")) {
			goodOnly = append(goodOnly, line...)
		}
	}
	if out, good := runReport(goodOnly); !good {
		t.Errorf("a run that passed is not good:\n%s", out)
	}
	out, good = runReport(goodOnly, "example.com/m/good")
	if good || !strings.Contains(out, "1 skipped where no test may skip") {
		t.Errorf("a skip where none may skip passed:\n%s", out)
	}
	if out, good := runReport(goodOnly, "example.com/m/goo"); !good {
		t.Errorf("a prefix matched part of a path's element:\n%s", out)
	}
}

// A package that does not build, and one whose test panics, fail the
// run, and the report shows why.
func TestReportBrokenPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	for _, c := range []struct {
		name, test string
		want       []string
	}{
		{"broken", "func TestX(t *testing.T) { undefined() }", []string{"undefined: undefined", "FAIL\texample.com/m/broken", "failed: example.com/m/broken\n"}},
		{"panics", "func TestX(t *testing.T) { panic(\"the panic's words\") }", []string{"the panic's words", "failed: example.com/m/panics"}},
	} {
		events := goTestJSON(t, map[string]string{
			c.name + "/" + c.name + "_test.go": "package " + c.name + "\nimport \"testing\"\n" + c.test + "\n",
		})
		out, good := runReport(events)
		for _, want := range c.want {
			if good || !strings.Contains(out, want) {
				t.Errorf("%s: the report lacks %q, or passed:\n%s", c.name, want, out)
			}
		}
	}
}

func TestReportNoTests(t *testing.T) {
	out, good := runReport([]byte(`{"Action":"skip","Package":"example.com/m/none"}` + "\n"))
	if good || !strings.Contains(out, "no test ran") {
		t.Errorf("a run with no test:\n%s", out)
	}
}
