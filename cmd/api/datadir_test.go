package main_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func buildAPI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "api")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// A second embedded api on a data directory in use says so at once, in one
// line naming the process that has it, and exits non-zero.
func TestDataDirectoryInUse(t *testing.T) {
	bin := buildAPI(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	first := exec.Command(bin)
	first.Env = append(os.Environ(), "CHAT_DATA_DIR="+dir, "CHAT_HTTP_ADDR="+addr, "CHAT_LOG_LEVEL=error")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.Process.Kill(); _ = first.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the first api did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}

	second := exec.Command(bin)
	second.Env = append(os.Environ(), "CHAT_DATA_DIR="+dir, "CHAT_HTTP_ADDR="+freeAddr(t))
	var stdout, stderr bytes.Buffer
	second.Stdout, second.Stderr = &stdout, &stderr
	started := time.Now()
	err := second.Run()
	took := time.Since(started)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("second api: %v, want a non-zero exit", err)
	}
	want := fmt.Sprintf("api: data directory %s is in use by another process (pid %d)\n", dir, first.Process.Pid)
	if stderr.String() != want || stdout.Len() != 0 {
		t.Fatalf("second api said %q (stdout %q), want %q", stderr.String(), stdout.String(), want)
	}
	if took > 2*time.Second {
		t.Fatalf("second api took %s to say so", took)
	}
}
