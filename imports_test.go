package ccfs_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ccfs-go/ccfs"

// goList runs "go list" with args in dir and returns its lines.
func goList(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
	}
	return strings.Split(strings.TrimSpace(string(out)), "\n")
}

// internal/ holds the runtime parts and, under internal/testkit, the
// test-only kits; the benchmarks are in bench/. So no package under
// internal/ reaches back up into the root package or the benchmarks, and
// no program links a test-only kit: only test kits (internal/testkit,
// ccfstest) import one outside a test. The nested modules are named: in
// a workspace, ./... does not enter them, and the command is the program
// that ships.
func TestInternalImportsNoRoot(t *testing.T) {
	patterns := []string{"./...", "./cmd/ccfs/...", "./store/s3store/...", "./quota/redisquota/...", "./events/redisevents/...", "./idempotency/redisidempotency/...", "./auth/redisreplay/...", "./metrics/prom/...", "./convert/mp3/...", "./console/accounts/..."}
	for _, line := range goList(t, ".", append([]string{"-f", "{{.ImportPath}} {{join .Deps \" \"}}"}, patterns...)...) {
		pkg, deps, _ := strings.Cut(line, " ")
		for _, dep := range strings.Fields(deps) {
			switch {
			case strings.HasPrefix(pkg, module+"/internal/") && (dep == module || dep == module+"/bench" || strings.HasPrefix(dep, module+"/bench/")):
				t.Errorf("%s imports %s", pkg, dep)
			case strings.HasPrefix(dep, module+"/internal/testkit/") && !strings.HasPrefix(pkg, module+"/internal/testkit/") && pkg != module+"/ccfstest":
				t.Errorf("%s links the test-only %s", pkg, dep)
			}
		}
	}
}

// The command is tested through its own binary and its own helpers, not
// through ccfstest: neither it nor its tests import the library's test kit.
func TestCommandImportsNoCcfstest(t *testing.T) {
	for _, line := range goList(t, "cmd/ccfs", "-test", "-deps", "-f", "{{.ImportPath}}", ".") {
		if pkg, _, _ := strings.Cut(line, " "); pkg == module+"/ccfstest" {
			t.Errorf("cmd/ccfs or its tests import %s", pkg)
		}
	}
}
