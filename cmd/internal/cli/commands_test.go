package cli_test

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatsvc/chat/bootstrap"
)

var commands = []string{"api", "worker", "migrate", "reindex", "deadletters", "searchbench"}

// build builds the commands, as a user runs them, into a directory of the test's own.
func build(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, c := range commands {
		args = append(args, "github.com/chatsvc/chat/cmd/"+c)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return dir
}

// run runs a command with only the given settings (none of the caller's).
func run(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	cmd.Dir = t.TempDir()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// Every command answers -h and --help with its usage and every setting it
// reads, with its default, and exits 0 without starting anything.
func TestEveryCommandAnswersHelp(t *testing.T) {
	dir := build(t)
	for _, c := range commands {
		for _, flag := range []string{"-h", "--help"} {
			stdout, stderr, code := run(t, filepath.Join(dir, c), nil, flag)
			if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: "+c) {
				t.Fatalf("%s %s: exit %d, stderr %q, stdout %q", c, flag, code, stderr, stdout)
			}
			settings := bootstrap.Settings(c)
			if len(settings) == 0 {
				t.Fatalf("%s reads no settings", c)
			}
			for _, s := range settings {
				if !strings.Contains(stdout, "\n  "+s.Key+"="+s.Default+" ") {
					t.Errorf("%s %s does not show %s=%s:\n%s", c, flag, s.Key, s.Default, stdout)
				}
			}
		}
	}
}

// Bad settings are each reported on a line of their own, naming the
// variable and what it accepts, and nothing else is printed or started.
func TestEveryCommandReportsBadSettings(t *testing.T) {
	dir := build(t)
	env := []string{"CHAT_PROFILE=production", "CHAT_LOG_LEVEL=loud", "CHAT_STARTUP_RETRY=soon", "CHAT_MYSQL_MAX_OPEN=-4",
		"CHAT_MYSQL_DSN=u:p@tcp(127.0.0.1:1)/x", "CHAT_REDIS_ADDR=127.0.0.1:1", "CHAT_OPENSEARCH_URL=http://127.0.0.1:1"}
	want := []string{
		`CHAT_LOG_LEVEL must be debug, info, warn, error, dpanic, panic or fatal, not "loud"`,
		`CHAT_STARTUP_ATTEMPTS must be a non-negative integer, not "many"`,
		`CHAT_STARTUP_RETRY must be a positive duration such as 5s, not "soon"`,
		`CHAT_MYSQL_MAX_OPEN must be a non-negative integer, not "-4"`,
	}
	env = append(env, "CHAT_STARTUP_ATTEMPTS=many")
	for _, c := range commands {
		stdout, stderr, code := run(t, filepath.Join(dir, c), env)
		var lines []string
		for _, w := range want {
			lines = append(lines, c+": "+w)
		}
		if code != 2 || stdout != "" || stderr != strings.Join(lines, "\n")+"\n" {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s", c, code, stdout, stderr)
		}
	}
	// An address is checked before anything listens on it.
	_, stderr, code := run(t, filepath.Join(dir, "api"), []string{"CHAT_HTTP_ADDR=8080", "CHAT_DATA_DIR=data"})
	if code != 2 || stderr != "api: CHAT_HTTP_ADDR must be host:port, such as :8080 or 127.0.0.1:8080, not \"8080\"\n" {
		t.Errorf("api with a bad address: exit %d, stderr %q", code, stderr)
	}
}

// The long-running processes answer -healthcheck URL with the probe's
// answer (a container's health check), before reading any setting.
func TestServersProbeTheirHealth(t *testing.T) {
	dir := build(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer up.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer down.Close()
	for _, c := range []string{"api", "worker"} {
		if _, stderr, code := run(t, filepath.Join(dir, c), []string{"CHAT_LOG_LEVEL=loud"}, "-healthcheck", up.URL); code != 0 {
			t.Errorf("%s -healthcheck of a 200: exit %d, stderr %q", c, code, stderr)
		}
		if _, stderr, code := run(t, filepath.Join(dir, c), nil, "-healthcheck", down.URL); code != 1 || stderr == "" {
			t.Errorf("%s -healthcheck of a 503: exit %d, stderr %q", c, code, stderr)
		}
	}
}
