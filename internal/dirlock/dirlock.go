// Package dirlock keeps a data directory to one process at a time: an
// advisory lock (flock) on a file in it, which the kernel drops when the
// process ends however it ends, and which holds the owner's pid so that a
// second process can say who has the directory.
package dirlock

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gofrs/flock"
)

// InUseError: another process holds the directory.
type InUseError struct {
	Dir string
	PID int // 0 when the lock file does not say
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("data directory %s is in use by another process (pid %d)", e.Dir, e.PID)
	}
	return fmt.Sprintf("data directory %s is in use by another process", e.Dir)
}

// Lock takes dir (creating it) for this process, at once or not at all
// (an *InUseError). Release lets it go; exiting does too. Keep release
// reachable while the directory is in use: the lock's file closes, and the
// lock goes, when it is collected.
func Lock(dir string) (release func() error, err error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "lock")
	fl := flock.New(path)
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock data directory %s: %w", dir, err)
	}
	if !ok {
		raw, _ := os.ReadFile(path)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
		return nil, &InUseError{Dir: dir, PID: pid}
	}
	// The pid is for the message above only: the lock is what counts.
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		_ = fl.Unlock()
		return nil, err
	}
	return fl.Unlock, nil
}
