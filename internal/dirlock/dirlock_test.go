package dirlock_test

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/chatsvc/chat/internal/dirlock"
)

// A lock held by another process is refused at once, naming its pid; once
// that process is gone the directory is free again.
func TestLockedByAnotherProcess(t *testing.T) {
	if os.Getenv("DIRLOCK_HOLD") != "" {
		release, err := dirlock.Lock(os.Getenv("DIRLOCK_HOLD"))
		if err != nil {
			os.Exit(3)
		}
		_, _ = os.Stdout.WriteString("held\n")
		_, _ = os.Stdin.Read(make([]byte, 1)) // until the test closes stdin
		_ = release()
		os.Exit(0)
	}
	dir := t.TempDir()
	holder := exec.Command(os.Args[0], "-test.run=^TestLockedByAnotherProcess$")
	holder.Env = append(os.Environ(), "DIRLOCK_HOLD="+dir)
	stdin, _ := holder.StdinPipe()
	stdout, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := stdout.Read(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	_, err := dirlock.Lock(dir)
	var inUse *dirlock.InUseError
	if !errors.As(err, &inUse) || inUse.PID != holder.Process.Pid {
		t.Fatalf("Lock while held: %v, want in use by pid %d", err, holder.Process.Pid)
	}
	if want := "data directory " + dir + " is in use by another process (pid " + strconv.Itoa(holder.Process.Pid) + ")"; err.Error() != want {
		t.Fatalf("%q, want %q", err, want)
	}
	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatal(err)
	}
	release, err := dirlock.Lock(dir)
	if err != nil {
		t.Fatalf("Lock after the holder exited: %v", err)
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
}
